package chat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// BenchmarkAppendBatch stores batches of messages as the writer does under
// load: each message of a batch belongs to a different conversation (many
// seekers typing at once). One op is one batch; msgs/s is the throughput of
// one writer worker.
func BenchmarkAppendBatch(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) chat.Store
	}{
		{"memory", func(b *testing.B) chat.Store { return chat.NewMemoryStore(nil) }},
		{"postgres", func(b *testing.B) chat.Store {
			pool, _ := migrationstest.MustOpen(b)
			seal, err := chat.ParseKeys(chat.NewKey("b1"))
			if err != nil {
				b.Fatal(err)
			}
			return chat.NewPostgresStore(pool, seal, nil)
		}},
	}
	body := strings.Repeat("x", 200)
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			ctx := context.Background()
			convs := make([]string, 128)
			for i := range convs {
				c, err := s.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"})
				if err != nil {
					b.Fatal(err)
				}
				convs[i] = c.ID
			}
			n := 0 // client ids, unique per store
			for _, size := range []int{1, 16, 128} {
				b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
					batch := make([]chat.Append, size)
					b.ReportAllocs()
					for b.Loop() {
						for i := range batch {
							n++
							batch[i] = chat.Append{ConversationID: convs[i], Sender: chat.SenderSeeker, Kind: chat.KindText,
								ClientID: fmt.Sprintf("b%d", n), Body: body}
						}
						for i, res := range s.AppendBatch(ctx, batch) {
							if res.Err != nil || res.Duplicate {
								b.Fatalf("append %d: %+v", i, res)
							}
						}
					}
					b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
				})
			}
		})
	}
}
