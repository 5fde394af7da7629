package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// recorder reads every frame a client receives, in its own goroutine, until
// stopped.
type recorder struct {
	name string
	c    *chatclient.Client

	mu     sync.Mutex
	frames []chatclient.Frame
	more   chan struct{} // signalled after each frame
	done   chan struct{}
}

func record(ctx context.Context, name string, c *chatclient.Client) (*recorder, context.CancelFunc) {
	rctx, cancel := context.WithCancel(ctx)
	r := &recorder{name: name, c: c, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			f, err := c.Next(rctx)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.frames = append(r.frames, f)
			r.mu.Unlock()
			select {
			case r.more <- struct{}{}:
			default:
			}
		}
	}()
	return r, func() { cancel(); <-r.done }
}

// waitFor waits up to 5 s until a recorded frame satisfies match.
func (r *recorder) waitFor(t *testing.T, what string, match func(chatclient.Frame) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		for _, f := range r.all() {
			if match(f) {
				return
			}
		}
		select {
		case <-r.more:
		case <-deadline:
			t.Fatalf("%s never got %s", r.name, what)
		}
	}
}

func (r *recorder) all() []chatclient.Frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chatclient.Frame(nil), r.frames...)
}

// TestEventsReachOnlyTheirConversation: while several conversations are busy
// (messages, typing, ending, quick exit, deletion), clients of other
// conversations hear nothing at all about them: not seekers, not a
// counsellor who holds none of them. Staff do see the waiting list (queue
// frames) – seekers never do.
func TestEventsReachOnlyTheirConversation(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)

		// Bystanders: a seeker still waiting, a seeker talking to the busy
		// counsellor, and a counsellor who holds none of the busy conversations.
		waitingSeeker := mustSeeker(t, ctx, srv)
		talkingSeeker := mustSeeker(t, ctx, srv)
		busy, _ := mustCounselor(t, ctx, srv, "ocupada", 5)
		accept(t, ctx, busy, talkingSeeker.started.ConversationID)
		idle, _ := mustCounselor(t, ctx, srv, "libre", 3)
		waitingSeeker.Discard()
		talkingSeeker.Discard()
		idle.Discard()

		const marker = "marcador final"
		recs := map[string]*recorder{}
		var stops []context.CancelFunc
		for name, c := range map[string]*chatclient.Client{"waiting seeker": waitingSeeker.Client, "talking seeker": talkingSeeker.Client, "idle counsellor": idle} {
			r, stop := record(ctx, name, c)
			recs[name] = r
			stops = append(stops, stop)
		}

		// Three conversations get busy at once, interleaved.
		var convs []*seeker
		var ids []string
		for range 3 {
			s := mustSeeker(t, ctx, srv)
			convs = append(convs, s)
			ids = append(ids, s.started.ConversationID)
		}
		// The idle counsellor is listening: it sees them in the waiting list.
		recs["idle counsellor"].waitFor(t, "the new conversations in the queue", func(f chatclient.Frame) bool {
			return f.Type == "queue" && strings.Contains(string(f.Raw), ids[0]) && strings.Contains(string(f.Raw), ids[2])
		})
		for _, id := range ids {
			accept(t, ctx, busy, id)
		}
		for round := 1; round <= 3; round++ {
			for i, s := range convs {
				send(t, ctx, s.Client, ids[i], fmt.Sprintf("s%d", round), fmt.Sprintf("secreto %d de %s", round, ids[i]))
				send(t, ctx, busy, ids[i], fmt.Sprintf("c%d-%d", i, round), fmt.Sprintf("respuesta %d a %s", round, ids[i]))
				if round == 2 {
					for _, c := range []*chatclient.Client{s.Client, busy} {
						if err := c.Send(ctx, map[string]any{"type": "typing", "conversation_id": ids[i], "typing": true}); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
		}
		// Three ways to end: the seeker, the counsellor, quick exit then deletion.
		if err := convs[0].Send(ctx, map[string]any{"type": "end", "conversation_id": ids[0]}); err != nil {
			t.Fatal(err)
		}
		if err := busy.Send(ctx, map[string]any{"type": "end", "conversation_id": ids[1]}); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/api/seeker/leave", "/api/seeker/delete"} {
			if a := call(t, ctx, nil, "POST", srv.URL+path, "", map[string]string{"token": convs[2].started.Token}, nil); a.Status != 204 {
				t.Fatalf("%s: %d %s", path, a.Status, a.Body)
			}
		}
		for i := range 2 {
			waitFrame(t, ctx, convs[i].Client, "the end", func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "ended" })
		}
		waitFrame(t, ctx, busy, "the deletion", func(f chatclient.Frame) bool {
			return f.Type == "conversation" && f.Conversation.ID == ids[2] && f.Conversation.Status == "deleted"
		})

		// The bystanders are listening: the talking seeker gets its own
		// counsellor's last message. Then a little more time for anything
		// that might still be on its way to them.
		send(t, ctx, busy, talkingSeeker.started.ConversationID, "marker", marker)
		recs["talking seeker"].waitFor(t, "its own counsellor's message", func(f chatclient.Frame) bool {
			return f.Type == "message" && f.Body == marker
		})
		time.Sleep(500 * time.Millisecond) // a deadline for "nothing else arrives", not a synchronisation
		for _, stop := range stops {
			stop()
		}

		for name, r := range recs {
			for _, f := range r.all() {
				seekerSide := strings.HasSuffix(name, "seeker")
				if f.Type == "queue" {
					if seekerSide {
						t.Errorf("%s got the staff waiting list: %s", name, f.Raw)
					}
					continue // staff may see who waits
				}
				for _, id := range ids {
					if strings.Contains(string(f.Raw), id) {
						t.Errorf("%s heard about busy conversation %s: %s", name, id, f.Raw)
					}
				}
				for _, secret := range []string{"secreto", "respuesta"} {
					if strings.Contains(string(f.Raw), secret) {
						t.Errorf("%s got text of another conversation: %s", name, f.Raw)
					}
				}
			}
		}

		// Each busy seeker heard only about their own conversation.
		for i, s := range convs {
			for _, f := range collect(ctx, s.Client, 200*time.Millisecond) { // what was read but not consumed, then anything late
				if f.Type == "queue" {
					t.Errorf("busy seeker %d got the staff waiting list", i)
				}
				for j, id := range append(ids, waitingSeeker.started.ConversationID, talkingSeeker.started.ConversationID) {
					if j != i && strings.Contains(string(f.Raw), id) {
						t.Errorf("busy seeker %d heard about %s: %s", i, id, f.Raw)
					}
				}
			}
		}
	})
}
