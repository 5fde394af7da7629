package referral

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDeliverySucceedsSignedWithTheConsentedPayload(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	p := newPartner(t, r.clock, nil)
	r.addPartner(p.record("p1"))
	d := r.enqueue("p1")
	if n := r.runOnce(r.deliverer(p.srv)); n != 1 {
		t.Fatalf("attempted %d", n)
	}
	hits, seen := p.stats()
	if hits != 1 || seen[d.ID] != 1 {
		t.Fatalf("partner saw %d requests, %v", hits, seen)
	}
	var got Payload
	if err := json.Unmarshal(p.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	want := samplePayload()
	want.Type = EventType
	if got != want {
		t.Fatalf("partner received %+v, want %+v", got, want)
	}
	if g := r.get(d.ID); g.Status != StatusDelivered || g.Attempts != 1 {
		t.Fatalf("row after success: %+v", g)
	}
}

// A partner that keeps failing: each attempt is scheduled, not slept; after
// the last the row is dead and an alert raised; a supervisor retries it.
func TestFailingPartnerFollowsScheduleThenDeadLettersAndRetries(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	p := newPartner(t, r.clock, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	r.addPartner(p.record("p1"))
	d := r.enqueue("p1")
	del := r.deliverer(p.srv)
	for i, wait := range DefaultSchedule {
		r.runOnce(del)
		g := r.get(d.ID)
		if g.Status != StatusPending || g.Attempts != i+1 || !g.NextAttempt.Equal(r.clock.Now().Add(wait)) || g.LastError != "partner answered 500" {
			t.Fatalf("after attempt %d: %+v", i+1, g)
		}
		if r.runOnce(del) != 0 {
			t.Fatal("a row was attempted before its time")
		}
		r.clock.Advance(wait)
	}
	r.runOnce(del)
	if g := r.get(d.ID); g.Status != StatusDead || g.Attempts != len(DefaultSchedule)+1 {
		t.Fatalf("after the last attempt: %+v", g)
	}
	if failed, _ := r.alerts.counts(); failed != 1 || r.alerts.failed[0].ID != d.ID || r.alerts.failed[0].Body != nil {
		t.Fatalf("%d dead-letter alerts (%+v): want one, naming the referral without its payload", failed, r.alerts.failed)
	}
	if err := del.Retry(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.handle = nil // the partner recovers
	p.mu.Unlock()
	r.runOnce(del)
	if g := r.get(d.ID); g.Status != StatusDelivered {
		t.Fatalf("after the supervisor's retry: %+v", g)
	}
	if _, seen := p.stats(); len(seen) != 1 || seen[d.ID] != len(DefaultSchedule)+2 {
		t.Fatalf("partner saw %v: every try must carry the same webhook-id", seen)
	}
}

func TestHugeRetryAfterIsCappedAndNotSlept(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	p := newPartner(t, r.clock, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "315360000") // ten years
		w.WriteHeader(http.StatusTooManyRequests)
	})
	r.addPartner(p.record("p1"))
	d := r.enqueue("p1")
	start := time.Now()
	r.runOnce(r.deliverer(p.srv))
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("the attempt took %v: Retry-After was slept on", elapsed)
	}
	g := r.get(d.ID)
	if want := r.clock.Now().Add(6 * time.Hour); g.Status != StatusPending || !g.NextAttempt.Equal(want) {
		t.Fatalf("next attempt %v, want the 6 h cap %v (%+v)", g.NextAttempt, want, g)
	}
	if hits, _ := p.stats(); hits != 1 {
		t.Fatalf("partner hit %d times: a long Retry-After is for the outbox, not an in-process retry", hits)
	}
}

func TestShortRetryAfterWithinScheduleKeepsSchedule(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	p := newPartner(t, r.clock, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	r.addPartner(p.record("p1"))
	d := r.enqueue("p1")
	r.runOnce(r.deliverer(p.srv))
	if g := r.get(d.ID); !g.NextAttempt.Equal(r.clock.Now().Add(2 * time.Minute)) {
		t.Fatalf("next attempt %v: Retry-After 120 s beats the 1 min schedule", g.NextAttempt.Sub(r.clock.Now()))
	}
}

func TestHangingPartnerTimesOut(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	release := make(chan struct{})
	p := newPartner(t, r.clock, func(w http.ResponseWriter, req *http.Request, _ int) {
		select {
		case <-release:
		case <-req.Context().Done():
		}
	})
	defer close(release)
	r.addPartner(p.record("p1"))
	d := r.enqueue("p1")
	r.timeout = 300 * time.Millisecond
	r.runOnce(r.deliverer(p.srv))
	g := r.get(d.ID)
	if g.Status != StatusPending || g.Attempts != 1 || !strings.Contains(g.LastError, "no answer within 300ms") {
		t.Fatalf("after a hang: %+v", g)
	}
	if hits, _ := p.stats(); hits != 1 {
		t.Fatalf("a timed-out request was retried in-process %d times", hits-1)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhereHits := 0
	elsewhere := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhereHits++ }))
	defer elsewhere.Close()
	for name, target := range map[string]string{
		"internal":  "http://169.254.169.254/latest/meta-data/",
		"elsewhere": elsewhere.URL + "/steal",
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, NewMemoryStore())
			p := newPartner(t, r.clock, func(w http.ResponseWriter, req *http.Request, _ int) {
				http.Redirect(w, req, target, http.StatusTemporaryRedirect)
			})
			r.addPartner(p.record("p1"))
			d := r.enqueue("p1")
			r.runOnce(r.deliverer(p.srv, elsewhere))
			g := r.get(d.ID)
			if g.Status != StatusPending || g.LastError != "partner answered 307: redirects are not followed" {
				t.Fatalf("after a redirect: %+v", g)
			}
			if strings.Contains(r.logText(), target) {
				t.Error("the redirect target was logged")
			}
		})
	}
	if elsewhereHits != 0 {
		t.Fatalf("the redirect was followed %d times", elsewhereHits)
	}
}

func TestGoneDisablesPartnerAndAlerts(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	p := newPartner(t, r.clock, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusGone) })
	r.addPartner(p.record("p1"))
	first := r.enqueue("p1")
	del := r.deliverer(p.srv)
	r.runOnce(del)
	if g := r.get(first.ID); g.Status != StatusDead {
		t.Fatalf("after 410: %+v", g)
	}
	got, _ := r.store.Partner(ctx, "p1")
	if got.Enabled {
		t.Fatal("partner still enabled after 410")
	}
	if failed, disabled := r.alerts.counts(); failed != 1 || disabled != 1 {
		t.Fatalf("alerts: %d dead-lettered, %d partner disabled", failed, disabled)
	}
	second := r.enqueue("p1")
	r.runOnce(del)
	if g := r.get(second.ID); g.Status != StatusDead || g.LastError != "partner disabled" {
		t.Fatalf("a referral to a disabled partner: %+v", g)
	}
	if hits, _ := p.stats(); hits != 1 {
		t.Fatalf("partner hit %d times after answering 410", hits)
	}
}

// The partner closes the connection in the middle of its response three
// times (one attempt and its two quick retries), then answers.
func TestPartnerDyingMidResponseIsRetried(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	p := newPartner(t, r.clock, func(w http.ResponseWriter, _ *http.Request, hit int) {
		if hit > 3 {
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		buf.WriteString("HTTP/1.1 20")
		buf.Flush()
		conn.Close()
	})
	r.addPartner(p.record("p1"))
	d := r.enqueue("p1")
	del := r.deliverer(p.srv)
	r.runOnce(del)
	g := r.get(d.ID)
	if g.Status != StatusPending || !strings.HasPrefix(g.LastError, "connection failed") {
		t.Fatalf("after the partner died: %+v", g)
	}
	r.clock.Advance(time.Minute)
	r.runOnce(del)
	if g := r.get(d.ID); g.Status != StatusDelivered {
		t.Fatalf("after the partner came back: %+v", g)
	}
	if hits, seen := p.stats(); hits != 4 || seen[d.ID] != 4 {
		t.Fatalf("partner saw %d requests %v, want 4 with one webhook-id", hits, seen)
	}
}

func TestWithdrawnBeforeDeliveryNothingSent(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	p := newPartner(t, r.clock, nil)
	r.addPartner(p.record("p1"))
	d := r.enqueue("p1")
	del := r.deliverer(p.srv)
	if err := del.Withdraw(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Hour)
	r.runOnce(del)
	if hits, _ := p.stats(); hits != 0 {
		t.Fatalf("partner received %d requests for a withdrawn referral", hits)
	}
	if g := r.get(d.ID); g.Status != StatusWithdrawn {
		t.Fatalf("withdrawn row: %+v", g)
	}
}

func TestPlainHTTPRefusedOutsideDevelopment(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	hits := 0
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer plain.Close()
	pr := Partner{ID: "p1", Name: "Plain", URL: plain.URL, Secrets: []string{newPartner(t, r.clock, nil).secret}, Enabled: true, AllowPrivate: true}
	r.addPartner(pr)
	d := r.enqueue("p1")
	r.runOnce(r.deliverer())
	if g := r.get(d.ID); g.Status != StatusDead || g.LastError != "partner URL must be https" || hits != 0 {
		t.Fatalf("http partner: %+v, %d hits", g, hits)
	}
}

// Ended rows go after their retention: delivered after a day, dead (kept
// for a supervisor to retry) after thirty.
func TestEndedRowsPurgedAfterRetention(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	ok := newPartner(t, r.clock, nil)
	gone := newPartner(t, r.clock, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusGone) })
	r.addPartner(ok.record("ok"))
	r.addPartner(gone.record("gone"))
	delivered, dead := r.enqueue("ok"), r.enqueue("gone")
	del := r.deliverer(ok.srv, gone.srv)
	r.runOnce(del)
	r.clock.Advance(23 * time.Hour)
	if n, err := del.Purge(ctx); err != nil || n != 0 {
		t.Fatalf("purged %d before the retention ended: %v", n, err)
	}
	r.clock.Advance(2 * time.Hour)
	if n, _ := del.Purge(ctx); n != 1 {
		t.Fatalf("purged %d after a day, want the delivered row", n)
	}
	if _, err := r.store.Get(ctx, delivered.ID); err != ErrNotFound {
		t.Fatalf("delivered row still there: %v", err)
	}
	r.get(dead.ID)
	r.clock.Advance(30 * 24 * time.Hour)
	if n, _ := del.Purge(ctx); n != 1 {
		t.Fatalf("purged %d after thirty days, want the dead row", n)
	}
}
