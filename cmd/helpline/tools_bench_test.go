package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestToolsWritesLatencyBenchmark asks whether counsellors' wrap-ups and
// seekers' feedback slow the chat: with 10,000 conversations waiting on
// the server, five pairs chat (send to ack timed) for 15 s alone, then
// while 400 finished conversations' wrap-ups are saved and completed and
// their seekers send feedback, paced over about 15 s. A measurement, not a
// timed test: it runs only when asked (BENCHMARKS.md):
//
//	HELPLINE_BENCH_TOOLS=1 go test -count=1 -v -timeout 30m -run TestToolsWritesLatencyBenchmark ./cmd/helpline/
func TestToolsWritesLatencyBenchmark(t *testing.T) {
	if os.Getenv("HELPLINE_BENCH_TOOLS") != "1" {
		t.Skip("a benchmark: set HELPLINE_BENCH_TOOLS=1 to run it")
	}
	waiting := 10000
	if v, err := strconv.Atoi(os.Getenv("HELPLINE_BENCH_CONVERSATIONS")); err == nil {
		waiting = v
	}
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) { benchToolsWrites(t, store, waiting) })
	}
}

// finished is a conversation that ended, with whom to write its wrap-up
// and the seeker's credential for feedback.
type finished struct{ id, staff, seeker string }

func benchToolsWrites(t *testing.T, store string, waiting int) {
	ctx := context.Background()
	srv := servertest.Start(t, store)
	began := time.Now()
	startMany(t, ctx, srv, waiting)
	t.Logf("%-22s %d in %v", "waiting-conversations", waiting, time.Since(began).Round(time.Millisecond))
	done := finishMany(t, ctx, srv, 40, 10)

	quiet, stopQuiet := context.WithTimeout(ctx, 15*time.Second)
	base := chatLoop(t, quiet, srv, "quiet")
	stopQuiet()

	// The writes are paced over about 15 s: 27 finished conversations a
	// second, three writes each (draft, completion, feedback), some seven
	// times the ends a service with 10,000 conversations of half an hour
	// sees (about 5.5 a second).
	burst, stopBurst := context.WithCancel(ctx)
	defer stopBurst()
	latencies := make(chan []time.Duration, 1)
	go func() { latencies <- chatLoop(t, burst, srv, "burst") }()
	time.Sleep(time.Second) // the burst's pairs are chatting before the first write
	due := make(chan finished)
	go func() {
		defer close(due)
		tick := time.NewTicker(time.Second / 27)
		defer tick.Stop()
		for _, f := range done {
			<-tick.C
			due <- f
		}
	}()
	var writes, failures atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for f := range due {
				wu := srv.URL + "/api/conversations/" + f.id + "/wrapup"
				for _, a := range []apiAnswer{
					callQuiet(ctx, "PUT", wu, f.staff, map[string]any{"answers": map[string]string{"contact_type": "own_behaviour"}}),
					callQuiet(ctx, "POST", wu+"/complete", f.staff, map[string]any{"answers": fullWrapup}),
					callQuiet(ctx, "POST", srv.URL+"/api/seeker/feedback", "", map[string]any{"token": f.seeker, "helpful": 3, "feeling": 4, "comment": "Me ha servido hablar"}),
				} {
					if a.Status/100 != 2 {
						failures.Add(1)
						t.Errorf("a write failed: %d %s", a.Status, a.Body)
					}
					writes.Add(1)
				}
			}
		})
	}
	writing := time.Now()
	wg.Wait()
	wrote := time.Since(writing)
	stopBurst() // the chat measured is the chat while the writes went on
	lat := <-latencies

	slices.Sort(base)
	slices.Sort(lat)
	pct := func(d []time.Duration, q float64) float64 {
		return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
	}
	t.Logf("%-22s %d in %v (%.0f/s), %d failed", "wrap-up/feedback-writes", writes.Load(), wrote.Round(time.Millisecond),
		float64(writes.Load())/wrote.Seconds(), failures.Load())
	t.Logf("%-22s %d msgs, p50 %.2f ms, p99 %.2f ms", "chat-alone", len(base), pct(base, 0.5), pct(base, 0.99))
	t.Logf("%-22s %d msgs, p50 %.2f ms, p99 %.2f ms", "chat-while-writing", len(lat), pct(lat, 0.5), pct(lat, 0.99))
}

// startMany starts n conversations that wait in the queue.
func startMany(t *testing.T, ctx context.Context, srv *servertest.Server, n int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for int(next.Add(1)) <= n {
				if _, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", "ES-MD"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// finishMany has each of counsellors take perEach conversations and end
// them, so that their wrap-ups and their seekers' feedback are still to
// be written.
func finishMany(t *testing.T, ctx context.Context, srv *servertest.Server, counsellors, perEach int) []finished {
	var mu sync.Mutex
	var out []finished
	var wg sync.WaitGroup
	for n := range counsellors {
		wg.Go(func() {
			user := fmt.Sprintf("writer%d", n)
			in, err := chatclient.Login(ctx, srv.URL, user, srv.MustAccount(t, user, "Writer", chat.RoleCounselor, perEach))
			if err != nil {
				t.Error(err)
				return
			}
			c, err := chatclient.Dial(ctx, srv.URL, in.Token)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.WS.CloseNow()
			for range perEach {
				st, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", "ES-MD")
				if err == nil {
					err = acceptAndEnd(ctx, c, st.ConversationID)
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				out = append(out, finished{id: st.ConversationID, staff: in.Token, seeker: st.Token})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

func acceptAndEnd(ctx context.Context, c *chatclient.Client, id string) error {
	for _, step := range []struct{ frame, status string }{{"accept", "active"}, {"end", "ended"}} {
		if err := c.Send(ctx, map[string]any{"type": step.frame, "conversation_id": id}); err != nil {
			return err
		}
		if _, err := c.WaitFor(ctx, func(f chatclient.Frame) bool {
			return f.Type == "conversation" && f.Conversation != nil && f.Conversation.ID == id && f.Conversation.Status == step.status
		}); err != nil {
			return fmt.Errorf("%s %s: %w", step.frame, id, err)
		}
	}
	c.Discard()
	return nil
}

// callQuiet is call for goroutines other than the test's own: a failed
// request is an answer with status 0 and the error as its body.
func callQuiet(ctx context.Context, method, url, bearer string, body any) apiAnswer {
	data, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(data))
	if err != nil {
		return apiAnswer{Body: []byte(err.Error())}
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return apiAnswer{Body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return apiAnswer{Status: resp.StatusCode, Body: got}
}
