package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/routing/referral"
	"helpline/routing/referral/webhook"
)

// TestReferralBurstBenchmark: 1,000 warm referrals queued on PostgreSQL, a
// partner that fails half its requests at random (503) and answers slowly
// (50 ms). First the real server binary, a process of its own on the same
// database, delivers until a few hundred requests reached the partner and
// is killed with SIGKILL mid-delivery; then two deliverers (two instances'
// worth) on a stepped clock drain the rest while a seeker and a counsellor
// exchange messages on the same database, timed send to ack. Each
// webhook-id must be accepted, and none more than once except the requests
// the killed process had in flight. A measurement, not a timed test: it
// runs only when asked (BENCHMARKS.md):
//
//	HELPLINE_BENCH_REFERRALS=1 go test -count=1 -v -run TestReferralBurstBenchmark ./cmd/helpline/
func TestReferralBurstBenchmark(t *testing.T) {
	if os.Getenv("HELPLINE_BENCH_REFERRALS") != "1" {
		t.Skip("a benchmark: set HELPLINE_BENCH_REFERRALS=1 to run it")
	}
	b := t
	const total, slow = 1000, 50 * time.Millisecond
	ctx := context.Background()
	bin := buildServer(b)
	srv := servertest.Start(b, "postgres", noDeliveryLoop)
	accepted := map[string]int{}
	var mu sync.Mutex
	var requests atomic.Int64
	secret := webhook.NewSecret()
	p := &testPartner{secret: secret, ids: map[string]int{}, got: make(chan struct{}, 1)}
	p.srv = newTLSServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		time.Sleep(slow)
		if rand.IntN(2) == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		accepted[r.Header.Get("webhook-id")]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	if err := srv.Outbox.PutPartner(ctx, referral.Partner{ID: "bench", Name: "Bench", URL: p.srv.URL, Secrets: []string{secret},
		Enabled: true, AllowPrivate: true}); err != nil {
		b.Fatal(err)
	}
	clock := &stepClock{t: time.Now()}
	ids := make([]string, 0, total)
	for i := range total {
		d, err := referral.NewDelivery("bench", referral.Payload{ReferralCode: fmt.Sprintf("R-%04d", i), ServiceID: "bench",
			Seeker: referral.Seeker{Sharing: referral.ShareCodeOnly}, Language: "es", Audience: "self"}, clock.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Outbox.Enqueue(ctx, d); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, d.ID)
	}

	quiet, stopQuiet := context.WithTimeout(ctx, 15*time.Second)
	base := chatLoop(b, quiet, srv, "quiet")
	stopQuiet()
	chatCtx, stopChat := context.WithCancel(ctx)
	latencies := make(chan []time.Duration, 1)
	go func() { latencies <- chatLoop(b, chatCtx, srv, "burst") }()

	start := time.Now()
	killedAfter := killMidDelivery(b, bin, srv, p, &requests)
	killedAt := time.Since(start)
	newDeliverer := func() *referral.Deliverer { return deliverer(srv, p, clock.Now) }
	a, c := newDeliverer(), newDeliverer()
	for {
		var n atomic.Int64
		var wg sync.WaitGroup
		for _, d := range []*referral.Deliverer{a, c} {
			wg.Go(func() {
				k, _ := d.RunOnce(ctx)
				n.Add(int64(k))
			})
		}
		wg.Wait()
		if n.Load() == 0 {
			mu.Lock()
			done := len(accepted) == total
			mu.Unlock()
			if done || clock.Now().Sub(start) > 48*time.Hour {
				break
			}
			clock.advance(time.Minute) // the next attempts come due, and the killed process's claims free
		}
	}
	drained := time.Since(start)
	stopChat()
	lat := <-latencies

	mu.Lock()
	defer mu.Unlock()
	// A partner that honours the webhook-id stores each referral once; the
	// requests the killed process had in flight may have reached the
	// partner and are sent again, with the same webhook-id, after their
	// lease: at most one batch of them.
	twice, missing := 0, 0
	for _, id := range ids {
		switch accepted[id] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	slices.Sort(lat)
	slices.Sort(base)
	pct := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	basePct := func(q float64) time.Duration { return base[int(q*float64(len(base)-1))] }
	b.Logf("%-20s %v", "quiet-chat-messages", len(base))
	b.Logf("%-20s %v", "quiet-chat-p50-ms", float64(basePct(0.5).Microseconds())/1000)
	b.Logf("%-20s %v", "quiet-chat-p99-ms", float64(basePct(0.99).Microseconds())/1000)
	b.Logf("%-20s %v", "drain-ms", float64(drained.Milliseconds()))
	b.Logf("%-20s %v", "requests-before-kill", float64(killedAfter))
	b.Logf("%-20s %v", "killed-at-ms", float64(killedAt.Milliseconds()))
	b.Logf("%-20s %v", "partner-requests", float64(requests.Load()))
	b.Logf("%-20s %v", "missing", float64(missing))
	b.Logf("%-20s %v", "resent-after-kill", float64(twice))
	b.Logf("%-20s %v", "chat-messages", float64(len(lat)))
	b.Logf("%-20s %v", "chat-p50-ms", float64(pct(0.5).Microseconds())/1000)
	b.Logf("%-20s %v", "chat-p99-ms", float64(pct(0.99).Microseconds())/1000)
	b.Logf("%-20s %v", "schedule-minutes", float64(clock.Now().Sub(start).Minutes()))
	if missing != 0 || twice > 10 {
		b.Fatalf("%d referrals never accepted, %d accepted twice (more than the killed process's one batch)", missing, twice)
	}
}

// chatLoop runs pairs conversations at once, each counsellor sending
// about four messages a second (under the per-conversation limit of five)
// until ctx ends, and returns each send's time to its ack.
func chatLoop(b *testing.T, ctx context.Context, srv *servertest.Server, user string) []time.Duration {
	const pairs = 5
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for n := range pairs {
		wg.Go(func() {
			lat := chatOne(b, ctx, srv, fmt.Sprintf("%s%d", user, n))
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

func chatOne(b *testing.T, ctx context.Context, srv *servertest.Server, user string) []time.Duration {
	tctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, id, err := chatPair(tctx, b, srv, user)
	if err != nil {
		b.Error(err)
		return nil
	}
	defer c.WS.CloseNow()
	var out []time.Duration
	for i := 0; ctx.Err() == nil; i++ {
		cid := fmt.Sprintf("m%d", i)
		at := time.Now()
		if err := c.Send(tctx, map[string]any{"type": "send", "conversation_id": id, "client_id": cid, "body": "hola, seguimos aquí"}); err != nil {
			b.Error(err)
			return out
		}
		f, err := c.WaitFor(tctx, func(f chatclient.Frame) bool { return (f.Type == "ack" && f.ClientID == cid) || f.Type == "error" })
		if err != nil || f.Type == "error" {
			b.Errorf("after %d messages: %v %s", len(out), err, f.Raw)
			return out
		}
		out = append(out, time.Since(at))
		c.Discard()
		time.Sleep(250 * time.Millisecond)
	}
	return out
}

// chatPair starts a conversation and has a counsellor accept it.
func chatPair(ctx context.Context, b *testing.T, srv *servertest.Server, user string) (*chatclient.Client, string, error) {
	st, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", "ES-MD")
	if err != nil {
		return nil, "", err
	}
	in, err := chatclient.Login(ctx, srv.URL, user, srv.MustAccount(b, user, "Bench", chat.RoleCounselor, 3))
	if err != nil {
		return nil, "", err
	}
	c, err := chatclient.Dial(ctx, srv.URL, in.Token)
	if err != nil {
		return nil, "", err
	}
	if err := c.Send(ctx, map[string]any{"type": "accept", "conversation_id": st.ConversationID}); err != nil {
		return nil, "", err
	}
	if _, err := c.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.Status == "active" }); err != nil {
		return nil, "", err
	}
	_, err = c.Sync(ctx, st.ConversationID, 0)
	return c, st.ConversationID, err
}

func newTLSServer(b *testing.T, h http.Handler) *httptest.Server {
	s := httptest.NewTLSServer(h)
	b.Cleanup(s.Close)
	return s
}
