package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// BenchmarkFanout lives here rather than in package chat because it needs
// the real server (cmd/internal/servertest), which only cmd/… may import.
//
// BenchmarkFanout is the whole path of one message through a real server on
// loopback: the seeker's send frame is decoded, stored (committed, on
// PostgreSQL), acknowledged to the seeker and delivered to the counsellor
// (and, as its own copy, to the seeker). One op is one message, sent after
// the previous one arrived, so ns/op is the end-to-end latency on an idle
// server; the messages go round-robin over many conversations, each kept
// within the per-conversation send limit (5/s) with the timer stopped, so
// that the limit is not what is measured.
func BenchmarkFanout(b *testing.B) {
	for _, store := range servertest.Stores {
		b.Run(store, func(b *testing.B) {
			const conversations, capacity = 200, 50
			srv := servertest.Start(b, store, servertest.Options{Env: map[string]string{"HELPLINE_LOG_LEVEL": "warn"}})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()

			type pair struct {
				id        string
				seeker    *chatclient.Client
				counselor *chatclient.Client
				next      time.Time // its next send, within the send limit
			}
			var counselors []*chatclient.Client
			for i := range conversations / capacity {
				name := fmt.Sprintf("bench-%d", i)
				password := srv.MustAccount(b, name, name, chat.RoleCounselor, capacity)
				in, err := chatclient.Login(ctx, srv.URL, name, password)
				if err != nil {
					b.Fatal(err)
				}
				counselor, err := chatclient.Dial(ctx, srv.URL, in.Token)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { counselor.WS.CloseNow() })
				counselors = append(counselors, counselor)
			}
			pairs := make([]*pair, 0, conversations)
			for i := range conversations {
				// Round-robin over the counsellors, paced: an accept and a
				// sync are two frames, and a socket may send 20 a second.
				counselor := counselors[i%len(counselors)]
				time.Sleep(time.Second / 8 / time.Duration(len(counselors)))
				st, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", "")
				if err != nil {
					b.Fatal(err)
				}
				seeker, err := chatclient.Dial(ctx, srv.URL, st.Token)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { seeker.WS.CloseNow() })
				if err := counselor.Send(ctx, map[string]any{"type": "accept", "conversation_id": st.ConversationID}); err != nil {
					b.Fatal(err)
				}
				f, err := counselor.WaitFor(ctx, func(f chatclient.Frame) bool {
					return f.Type == "conversation" && f.Conversation != nil && f.Conversation.ID == st.ConversationID && f.Conversation.Status == "active" ||
						f.Type == "error" && f.Ref == st.ConversationID
				})
				if err != nil || f.Type == "error" {
					b.Fatalf("accept: %s %v", f.Raw, err)
				}
				if _, err := counselor.Sync(ctx, st.ConversationID, 0); err != nil {
					b.Fatal(err)
				}
				if _, err := seeker.Sync(ctx, st.ConversationID, 0); err != nil {
					b.Fatal(err)
				}
				pairs = append(pairs, &pair{id: st.ConversationID, seeker: seeker, counselor: counselor, next: time.Now()})
			}
			for _, c := range counselors {
				c.Discard()
			}
			body := strings.Repeat("x", 190)
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				p := pairs[n%len(pairs)]
				n++
				// Keep each conversation within the send limit, with the
				// timer stopped: the wait is the benchmark's, not the server's.
				if wait := time.Until(p.next); wait > 0 {
					b.StopTimer()
					time.Sleep(wait)
					b.StartTimer()
				}
				p.next = time.Now().Add(time.Second / 5)
				clientID := fmt.Sprintf("m%d", n)
				text := fmt.Sprintf("%s %d", body, n)
				if err := p.seeker.Send(ctx, map[string]any{"type": "send", "conversation_id": p.id, "client_id": clientID, "body": text}); err != nil {
					b.Fatal(err)
				}
				ack, err := p.seeker.WaitFor(ctx, func(f chatclient.Frame) bool {
					return (f.Type == "ack" || f.Type == "error") && f.ClientID+f.Ref == clientID
				})
				if err != nil || ack.Type != "ack" {
					b.Fatalf("send %d: %s %v", n, ack.Raw, err)
				}
				if _, err := p.counselor.WaitFor(ctx, func(f chatclient.Frame) bool {
					return f.Type == "message" && f.ConversationID == p.id && f.Body == text
				}); err != nil {
					b.Fatal(err)
				}
				p.seeker.Discard() // its own copy of the message
			}
		})
	}
}
