package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestSyncDuringLiveTrafficReplaysEverything: PROTOCOL.md §3.1 promises that
// a sync is answered with every stored message after after_seq, then
// synced, and that sync "may be sent again at any time". Here a seeker
// re-syncs over and over while both sides keep writing; every replay must
// hold every message up to its synced.last_seq.
func TestSyncDuringLiveTrafficReplaysEverything(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		c, _ := mustCounselor(t, ctx, srv, "rapida", 3)
		accept(t, ctx, c, id)
		seekerWriter := dialAs(t, ctx, srv, s.started.Token) // a second tab of the seeker

		// Both sides write ten messages a second each (within the per-side
		// allowance for a few seconds), for a while.
		pumpCtx, stopPumps := context.WithTimeout(ctx, 4*time.Second)
		defer stopPumps()
		var wg sync.WaitGroup
		for name, w := range map[string]*chatclient.Client{"c": c, "s": seekerWriter} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for i := 0; pumpCtx.Err() == nil; i++ {
					select {
					case <-tick.C:
					case <-pumpCtx.Done():
						return
					}
					cid := fmt.Sprintf("%s%d", name, i)
					if w.Send(pumpCtx, map[string]any{"type": "send", "conversation_id": id, "client_id": cid, "body": "m " + cid}) != nil {
						return
					}
					// Wait for its ack before the next.
					if f, err := w.WaitFor(pumpCtx, func(f chatclient.Frame) bool {
						return f.Type == "ack" && f.ClientID == cid || f.Type == "error"
					}); err != nil || f.Type == "error" {
						if err == nil {
							t.Errorf("pump %s: %s", name, f.Raw)
						}
						return
					}
					w.Discard()
				}
			}()
		}

		// Tabs keep opening while both sides write: each is woken by the live
		// messages before it has asked for anything, then syncs from 0 (a
		// reload), and must get the whole history once, in order. The main
		// socket re-syncs too.
		rounds := 0
		for ; pumpCtx.Err() == nil && rounds < 12; rounds++ {
			tab := dialAs(t, ctx, srv, s.started.Token)
			// Let a live message or two go by the new tab first.
			for range 2 {
				if _, err := s.WaitFor(pumpCtx, func(f chatclient.Frame) bool { return f.Type == "message" }); err != nil {
					break
				}
			}
			for _, c := range []*chatclient.Client{tab, s.Client} {
				if err := c.Send(ctx, map[string]any{"type": "sync", "conversation_id": id, "after_seq": 0}); err != nil {
					t.Fatal(err)
				}
				seen := map[int64]bool{}
				for {
					f := waitFrame(t, ctx, c, fmt.Sprintf("the replay of round %d after %d messages", rounds, len(seen)), func(f chatclient.Frame) bool {
						return f.Type == "error" || f.ConversationID == id && (f.Type == "message" || f.Type == "synced")
					})
					if f.Type == "error" {
						t.Fatalf("sync refused: %s", f.Raw)
					}
					if f.Type == "message" {
						seen[f.Seq] = true
						continue
					}
					for seq := int64(1); seq <= f.LastSeq; seq++ {
						if !seen[seq] {
							stopPumps()
							wg.Wait()
							t.Fatalf("round %d: synced at %d, but message %d was not replayed before it (got %d of them)", rounds, f.LastSeq, seq, len(seen))
						}
					}
					break
				}
			}
			tab.WS.CloseNow()
		}
		stopPumps()
		wg.Wait()
		if rounds < 12 {
			t.Fatalf("only %d sync rounds ran", rounds)
		}
	})
}
