package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestSendsRefusedForPaceNameTheirRef: a send that arrives over the
// socket's frame rate is refused as rate_limited with its client id as ref,
// so the client knows which message to send again; sent again after a
// pause, every one is stored once. (Before, such a refusal named nothing:
// the client waited for an ack that never came.)
func TestSendsRefusedForPaceNameTheirRef(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		// Use up the socket's burst with typing frames, then send at once.
		for range 45 {
			if err := s.Send(ctx, map[string]any{"type": "typing", "conversation_id": id, "typing": true}); err != nil {
				t.Fatal(err)
			}
		}
		const sends = 6
		for i := range sends {
			if err := s.Send(ctx, map[string]any{"type": "send", "conversation_id": id, "client_id": fmt.Sprint("paced-", i), "body": fmt.Sprint("hola ", i)}); err != nil {
				t.Fatal(err)
			}
		}
		answered := map[string]string{} // client id → "ack" or the error code
		for len(answered) < sends {
			f, err := s.WaitFor(ctx, func(f chatclient.Frame) bool {
				return f.Type == "ack" || (f.Type == "error" && strings.HasPrefix(f.Ref, "paced-"))
			})
			if err != nil {
				t.Fatalf("only %d of %d sends were answered by name (%v): %v", len(answered), sends, answered, err)
			}
			if f.Type == "ack" {
				answered[f.ClientID] = "ack"
			} else {
				answered[f.Ref] = f.Code
			}
		}
		refused := 0
		for i := range sends {
			switch code := answered[fmt.Sprint("paced-", i)]; code {
			case "ack":
			case "rate_limited":
				refused++
			default:
				t.Fatalf("send paced-%d was answered %q, want an ack or rate_limited", i, code)
			}
		}
		if refused == 0 {
			t.Fatalf("no send was refused for pace after a burst of 45 frames: the test no longer exercises the limit (%v)", answered)
		}
		// Sent again, as a client does after a pause, each is stored.
		for i := range sends {
			cid := fmt.Sprint("paced-", i)
			for answered[cid] != "ack" {
				time.Sleep(250 * time.Millisecond) // a client's pause before sending again
				if err := s.Send(ctx, map[string]any{"type": "send", "conversation_id": id, "client_id": cid, "body": fmt.Sprint("hola ", i)}); err != nil {
					t.Fatal(err)
				}
				f, err := s.WaitFor(ctx, func(f chatclient.Frame) bool {
					return (f.Type == "ack" && f.ClientID == cid) || (f.Type == "error" && f.Ref == cid)
				})
				if err != nil {
					t.Fatalf("%s sent again: %v", cid, err)
				}
				if f.Type == "ack" {
					answered[cid] = "ack"
				} else if f.Code != "rate_limited" {
					t.Fatalf("%s sent again: %s", cid, f.Raw)
				}
			}
		}
	})
}
