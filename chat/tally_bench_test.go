package chat_test

import (
	"context"
	"sync/atomic"
	"testing"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// BenchmarkConversationLifecycle is one conversation's state changes on
// PostgreSQL, each a transaction that also adds its tallies: create, the
// first counsellor joining, the end. One op is all three, run by 8
// goroutines at once, for 16 counsellors (so that concurrent increments of the same tally rows
// are part of it).
func BenchmarkConversationLifecycle(b *testing.B) {
	pool, _ := migrationstest.MustOpen(b)
	seal, err := chat.ParseKeys(chat.NewKey("b1"))
	if err != nil {
		b.Fatal(err)
	}
	s := chat.NewPostgresStore(pool, seal, nil)
	ctx := context.Background()
	b.SetParallelism(4) // 4 × GOMAXPROCS goroutines
	var next int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := s.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es", Region: "Madrid"})
			if err != nil {
				b.Error(err)
				return
			}
			id := atomic.AddInt64(&next, 1)
			if _, _, err := s.Assign(ctx, c.ID, 1+id%16, "C", 1<<20); err != nil {
				b.Error(err)
				return
			}
			if _, _, err := s.End(ctx, c.ID, chat.EndedByCounselor); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
