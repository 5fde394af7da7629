package referral

import (
	"context"
	"errors"
	"testing"
	"time"

	"helpline/routing/referral/webhook"
)

var ctx = context.Background()

func contractPartner(id string) Partner {
	return Partner{ID: id, Name: "North therapy", URL: "https://partner.example/hook", Secrets: []string{webhook.NewSecret()}, Enabled: true}
}

func mustClaim(t *testing.T, s Store, now time.Time, want int) []Delivery {
	t.Helper()
	got, err := s.Claim(ctx, now, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != want {
		t.Fatalf("claimed %d rows, want %d", len(got), want)
	}
	return got
}

func TestStoreContract(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		r := newRig(t, s)
		r.addPartner(contractPartner("p1"))
		now := r.clock.Now()

		t.Run("claim, hold, finish", func(t *testing.T) {
			d := r.enqueue("p1")
			if err := s.Enqueue(ctx, d); err != nil { // the same referral twice is one row
				t.Fatal(err)
			}
			got := mustClaim(t, s, now, 1)[0]
			if got.ID != d.ID || string(got.Body) != string(d.Body) || got.Claim == "" {
				t.Fatalf("claimed %+v", got)
			}
			mustClaim(t, s, now.Add(30*time.Second), 0) // held by the claim
			next := now.Add(5 * time.Minute)
			if err := s.Finish(ctx, d.ID, got.Claim, Outcome{Status: StatusPending, Attempts: 1, NextAttempt: next, LastError: "partner answered 500", At: now}); err != nil {
				t.Fatal(err)
			}
			mustClaim(t, s, next.Add(-time.Second), 0) // not due yet
			again := mustClaim(t, s, next, 1)[0]
			if again.Attempts != 1 || again.LastError != "partner answered 500" {
				t.Fatalf("after one failure: %+v", again)
			}
			if err := s.Finish(ctx, d.ID, again.Claim, Outcome{Status: StatusDelivered, Attempts: 2, At: next}); err != nil {
				t.Fatal(err)
			}
			if g := r.get(d.ID); g.Status != StatusDelivered || !g.DoneAt.Equal(next) {
				t.Fatalf("delivered row: %+v", g)
			}
			if err := s.Withdraw(ctx, d.ID, next); !errors.Is(err, ErrNotPending) {
				t.Fatalf("withdrawing a delivered referral: %v", err)
			}
		})

		t.Run("an expired claim is taken over and the old one loses", func(t *testing.T) {
			d := r.enqueue("p1")
			first := mustClaim(t, s, now, 1)[0]
			second := mustClaim(t, s, now.Add(time.Minute), 1)[0]
			if second.ID != d.ID || second.Claim == first.Claim {
				t.Fatalf("takeover: %+v", second)
			}
			if err := s.Finish(ctx, d.ID, first.Claim, Outcome{Status: StatusDelivered, Attempts: 1, At: now}); !errors.Is(err, ErrLostClaim) {
				t.Fatalf("finish with the expired claim: %v", err)
			}
			if err := s.Finish(ctx, d.ID, second.Claim, Outcome{Status: StatusDead, Attempts: 7, LastError: "x", At: now}); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("withdraw", func(t *testing.T) {
			d := r.enqueue("p1")
			if err := s.Withdraw(ctx, d.ID, now); err != nil {
				t.Fatal(err)
			}
			mustClaim(t, s, now.Add(time.Hour), 0)
			if g := r.get(d.ID); g.Status != StatusWithdrawn {
				t.Fatalf("withdrawn row: %+v", g)
			}
			inFlight := r.enqueue("p1")
			c := mustClaim(t, s, now, 1)[0]
			if err := s.Withdraw(ctx, inFlight.ID, now.Add(time.Second)); !errors.Is(err, ErrInFlight) {
				t.Fatalf("withdraw while sending: %v", err)
			}
			s.Finish(ctx, inFlight.ID, c.Claim, Outcome{Status: StatusDelivered, Attempts: 1, At: now})
			if err := s.Withdraw(ctx, "ref_missing", now); !errors.Is(err, ErrNotFound) {
				t.Fatalf("withdraw unknown: %v", err)
			}
		})

		t.Run("supervisor retry of a dead row", func(t *testing.T) {
			d := r.enqueue("p1")
			if err := s.Retry(ctx, d.ID, now); !errors.Is(err, ErrNotDead) {
				t.Fatalf("retry of a pending row: %v", err)
			}
			c := mustClaim(t, s, now, 1)[0]
			s.Finish(ctx, d.ID, c.Claim, Outcome{Status: StatusDead, Attempts: 7, LastError: "partner answered 500", At: now})
			later := now.Add(48 * time.Hour)
			if err := s.Retry(ctx, d.ID, later); err != nil {
				t.Fatal(err)
			}
			g := mustClaim(t, s, later, 1)[0]
			if g.Attempts != 0 || g.Status != StatusPending || g.LastError != "" {
				t.Fatalf("retried row: %+v", g)
			}
			s.Finish(ctx, d.ID, g.Claim, Outcome{Status: StatusDelivered, Attempts: 1, At: later})
		})

		t.Run("purge after retention", func(t *testing.T) {
			far := now.Add(72 * time.Hour)
			n, err := s.Purge(ctx, far, now) // dead rows (ended at now) kept: not before now
			if err != nil {
				t.Fatal(err)
			}
			if n != 4 { // delivered ×3 from above (one after a retry), withdrawn ×1
				t.Fatalf("purged %d ended rows, want 4", n)
			}
			if n, _ := s.Purge(ctx, far, far); n != 1 {
				t.Fatalf("purged %d dead rows, want 1", n)
			}
		})

		t.Run("partners", func(t *testing.T) {
			if err := s.Enqueue(ctx, Delivery{ID: NewID(), PartnerID: "nobody", Body: []byte("{}"), NextAttempt: now, CreatedAt: now}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("enqueue for an unknown partner: %v", err)
			}
			bad := contractPartner("p2")
			bad.Secrets = []string{"whsec_c2hvcnQ="}
			if err := s.PutPartner(ctx, bad); err == nil {
				t.Fatal("a partner with a 5-byte secret was accepted")
			}
			bad = contractPartner("p2")
			bad.URL = "ftp://partner.example/"
			if err := s.PutPartner(ctx, bad); err == nil {
				t.Fatal("a partner with an ftp URL was accepted")
			}
			want := contractPartner("p3")
			want.Secrets = append(want.Secrets, webhook.NewSecret())
			r.addPartner(want)
			if err := s.DisablePartner(ctx, "p3", "gone"); err != nil {
				t.Fatal(err)
			}
			got, err := s.Partner(ctx, "p3")
			if err != nil || got.Enabled || got.DisabledReason != "gone" || len(got.Secrets) != 2 || got.Secrets[1] != want.Secrets[1] {
				t.Fatalf("partner after disabling: %+v, %v", got, err)
			}
		})
	})
}
