package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestStartsAreLimitedPerAddress: with HELPLINE_STARTS_PER_MINUTE=12, twelve
// quick starts from one address succeed and the thirteenth is refused with
// 429 rate_limited; another address is not affected.
func TestStartsAreLimitedPerAddress(t *testing.T) {
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_STARTS_PER_MINUTE": "12"}})
			ctx := testCtx(t)
			flooder := newSourcedClient(t, "127.0.0.21", "")
			start := func(c *sourcedClient) apiAnswer {
				return call(t, ctx, c.HTTP, "POST", srv.URL+"/api/seeker/conversations", "", map[string]string{"audience": "self"}, nil)
			}
			for i := 1; i <= 12; i++ {
				if a := start(flooder); a.Status != 201 {
					t.Fatalf("start %d: %d %s", i, a.Status, a.Body)
				}
			}
			a := start(flooder)
			if a.Status != 429 || a.Code != "rate_limited" || a.Message == "" {
				t.Fatalf("13th start: %d %s, want 429 rate_limited", a.Status, a.Body)
			}
			if a.Header.Get("Retry-After") == "" {
				t.Error("the 429 answer has no Retry-After")
			}
			if a.Header.Get("Content-Security-Policy") == "" {
				t.Error("the 429 answer lacks the security headers")
			}
			// Someone else, elsewhere, can still start.
			if b := start(newSourcedClient(t, "127.0.0.22", "")); b.Status != 201 {
				t.Fatalf("start from another address: %d %s", b.Status, b.Body)
			}
			// The limit keeps no address: the log does not name it.
			if log := srv.Log.String(); strings.Contains(log, "127.0.0.21") || strings.Contains(log, "127.0.0.22") {
				t.Error("the server log names a client address")
			}
		})
	}
}

// TestFloodIsCutOffWithoutHurtingOthers: a client that floods its socket gets
// rate_limited errors and, if it keeps going, is closed with 4029; a seeker
// in another conversation chats normally all the while.
func TestFloodIsCutOffWithoutHurtingOthers(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		flooder := mustSeeker(t, ctx, srv)
		fid := flooder.started.ConversationID
		calm := mustSeeker(t, ctx, srv)
		cid := calm.started.ConversationID
		counselor, _ := mustCounselor(t, ctx, srv, "tranquila", 3)
		accept(t, ctx, counselor, cid)
		nextMessage(t, ctx, calm.Client) // the join

		// The flooder's frames are read by one goroutine, written by another.
		var (
			mu          sync.Mutex
			rateLimited int
			otherErrors []string
		)
		firstLimited := make(chan struct{})
		closed := make(chan error, 1)
		go func() {
			once := sync.Once{}
			for {
				f, err := flooder.Next(ctx)
				if err != nil {
					closed <- err
					return
				}
				if f.Type == "error" {
					mu.Lock()
					if f.Code == "rate_limited" {
						rateLimited++
						once.Do(func() { close(firstLimited) })
					} else {
						otherErrors = append(otherErrors, string(f.Raw))
					}
					mu.Unlock()
				}
			}
		}()
		burst := make(chan struct{})
		writerDone := make(chan int, 1)
		go func() {
			n := 0
			frame := map[string]any{"type": "typing", "conversation_id": fid, "typing": true}
			// First a steady stream well above the per-socket rate (20 a
			// second), but never so dense that the socket is cut off …
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
		steady:
			for {
				select {
				case <-burst:
					break steady
				case <-tick.C:
					if flooder.Send(ctx, frame) != nil {
						writerDone <- n
						return
					}
					n++
				}
			}
			// … then hundreds of frames as fast as they go.
			for range 2000 {
				if flooder.Send(ctx, frame) != nil {
					break
				}
				n++
			}
			writerDone <- n
		}()

		select {
		case <-firstLimited:
		case err := <-closed:
			t.Fatalf("the flooder was closed (%v) before any rate_limited error", err)
		case <-ctx.Done():
			t.Fatal("the flood never got a rate_limited error")
		}
		// Meanwhile, in another conversation, everything works as usual.
		for i := 1; i <= 8; i++ {
			ack := send(t, ctx, calm.Client, cid, fmt.Sprint("calm", i), fmt.Sprint("todo bien ", i))
			if m := waitFrame(t, ctx, counselor, "the message", func(f chatclient.Frame) bool {
				return f.Type == "message" && f.Sender == "seeker"
			}); m.ConversationID != cid || m.Seq != ack.Seq || m.Body != fmt.Sprint("todo bien ", i) {
				t.Fatalf("counsellor got %s, want message %d", m.Raw, ack.Seq)
			}
			send(t, ctx, counselor, cid, fmt.Sprint("reply", i), fmt.Sprint("respuesta ", i))
			if m := waitFrame(t, ctx, calm.Client, "the answer", func(f chatclient.Frame) bool {
				return f.Type == "message" && f.Sender == "counselor"
			}); m.Body != fmt.Sprint("respuesta ", i) {
				t.Fatalf("seeker got %s", m.Raw)
			}
		}
		close(burst)

		var err error
		select {
		case err = <-closed:
		case <-ctx.Done():
			t.Fatal("the flooder was never closed")
		}
		sent := <-writerDone
		if code := chatclient.CloseStatus(err); code != chat.StatusFlood {
			t.Fatalf("the flooder was closed with %v (%v), want 4029", code, err)
		}
		mu.Lock()
		defer mu.Unlock()
		// (Errors queued when the socket is cut off may never be sent, so the
		// count can be small; the steady phase above already saw some.)
		if rateLimited < 1 || sent < 100 {
			t.Errorf("the flooder got %d rate_limited errors for %d frames", rateLimited, sent)
		}
		if len(otherErrors) > 0 {
			t.Errorf("the flooder got other errors: %v", otherErrors)
		}
		// The calm side never saw a rate limit or the flood.
		for _, f := range collect(ctx, calm.Client, 200*time.Millisecond) {
			if f.Type == "error" || f.Type == "typing" {
				t.Errorf("the calm seeker got %s", f.Raw)
			}
		}
		for _, f := range collect(ctx, counselor, 100*time.Millisecond) {
			if f.Type == "error" {
				t.Errorf("the counsellor got %s", f.Raw)
			}
		}
		// The flooder may come back (4029 means "reconnect later") and is heard again.
		again := dialAs(t, ctx, srv, flooder.started.Token)
		ping(t, ctx, again)
	})
}

// TestPingFloodIsCutOffAsAFlood: a flood of frames that each get an answer
// (ping → pong) is still a flood. The client here reads everything as fast
// as it comes; it must be told 4029 ("too many frames", wait ≥ 5 s), never
// 4001 ("you are too slow", reconnect at once). Repeated, because whether
// the pongs and errors outrun the socket's outgoing queue is a matter of
// timing.
func TestPingFloodIsCutOffAsAFlood(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		for round := 1; round <= 8; round++ {
			st := startConversation(t, ctx, srv)
			c := dialAs(t, ctx, srv, st.Token)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range 3000 {
					if c.Send(ctx, map[string]any{"type": "ping"}) != nil {
						return
					}
				}
			}()
			code, frames := waitClose(ctx, c)
			<-done
			if code != chat.StatusFlood {
				t.Fatalf("round %d: a ping flood was closed with %v after %d frames, want 4029", round, code, len(frames))
			}
		}
	})
}
