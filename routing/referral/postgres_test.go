package referral

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

func postgresRig(t *testing.T) (*rig, *pgxpool.Pool, *PostgresStore) {
	pool, _ := migrationstest.MustOpen(t)
	s := NewPostgresStore(pool, testSealer(t))
	return newRig(t, s), pool, s
}

// Two deliverers, as two instances would, drain one outbox together: the
// partner receives every webhook-id exactly once.
func TestTwoDeliverersDeliverEachReferralOnce(t *testing.T) {
	r, _, _ := postgresRig(t)
	p := newPartner(t, r.clock, nil)
	r.addPartner(p.record("p1"))
	const n = 60
	ids := map[string]bool{}
	for range n {
		ids[r.enqueue("p1").ID] = true
	}
	var wg sync.WaitGroup
	for range 2 {
		del := r.deliverer(p.srv)
		wg.Go(func() {
			for {
				if got, err := del.RunOnce(ctx); err != nil || got == 0 {
					if err != nil {
						t.Error(err)
					}
					return
				}
			}
		})
	}
	wg.Wait()
	hits, seen := p.stats()
	if hits != n || len(seen) != n {
		t.Fatalf("partner saw %d requests for %d webhook-ids, want %d each once", hits, len(seen), n)
	}
	for id, count := range seen {
		if !ids[id] || count != 1 {
			t.Errorf("webhook-id %s delivered %d times", id, count)
		}
	}
}

// A deliverer stopped while its request is with the partner never records
// the outcome; once its lease runs out a new deliverer sends the same
// webhook-id again. Delivery is at least once: the partner may see the id
// twice, and its idempotency by webhook-id makes it exactly once.
func TestDelivererStoppedMidDeliveryIsTakenOver(t *testing.T) {
	r, _, _ := postgresRig(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p := newPartner(t, r.clock, func(w http.ResponseWriter, req *http.Request, hit int) {
		if hit == 1 {
			once.Do(func() { close(arrived) })
			select {
			case <-release:
			case <-req.Context().Done():
			}
		}
	})
	defer close(release)
	r.addPartner(p.record("p1"))
	d := r.enqueue("p1")

	stopping, stop := context.WithCancel(ctx)
	first := r.deliverer(p.srv)
	done := make(chan struct{})
	go func() { defer close(done); first.RunOnce(stopping) }()
	<-arrived
	stop() // the instance goes away mid-delivery
	<-done
	if g := r.get(d.ID); g.Status != StatusPending || g.Attempts != 0 {
		t.Fatalf("after the stop: %+v", g)
	}

	second := r.deliverer(p.srv)
	if n := r.runOnce(second); n != 0 {
		t.Fatal("the row was taken over while the first claim still held")
	}
	r.clock.Advance(first.c.Lease)
	r.runOnce(second)
	if g := r.get(d.ID); g.Status != StatusDelivered {
		t.Fatalf("after the takeover: %+v", g)
	}
	if _, seen := p.stats(); len(seen) != 1 || seen[d.ID] != 2 {
		t.Fatalf("partner saw %v: want the same webhook-id twice", seen)
	}
}

// The outbox row is written in the caller's transaction: rolled back, it
// does not exist; committed, it does.
func TestEnqueueTxFollowsTheTransaction(t *testing.T) {
	r, pool, s := postgresRig(t)
	r.addPartner(contractPartner("p1"))
	for _, commit := range []bool{false, true} {
		d, err := NewDelivery("p1", samplePayload(), r.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EnqueueTx(ctx, tx, d); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Get(ctx, d.ID)
		if exists := err == nil; exists != commit {
			t.Fatalf("committed %v, row exists %v (%v)", commit, exists, err)
		}
	}
}

// Payloads and partner secrets are ciphertext in the database, and key
// rotation re-seals them.
func TestOutboxSealedAtRestAndRotated(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	oldKey := chat.NewKey("k1")
	old, _ := chat.ParseKeys(oldKey)
	s := NewPostgresStore(pool, old)
	r := newRig(t, s)
	pr := contractPartner("p1")
	r.addPartner(pr)
	d := r.enqueue("p1")
	var keyID string
	var body, secrets []byte
	if err := pool.QueryRow(ctx, `SELECT d.key_id, d.body, p.secrets FROM referral_deliveries d JOIN referral_partners p ON p.id = d.partner_id`).Scan(&keyID, &body, &secrets); err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"RC-7Q4K-93", "sam.private", "Sam"} {
		if bytes.Contains(body, []byte(plain)) {
			t.Errorf("%q stored in clear", plain)
		}
	}
	if bytes.Contains(secrets, []byte(pr.Secrets[0][6:])) || keyID != "k1" {
		t.Errorf("partner secret stored in clear, or key %q", keyID)
	}

	both, _ := chat.ParseKeys(chat.NewKey("k2") + "," + oldKey)
	rotated := NewPostgresStore(pool, both)
	// helpline rotate-keys: chat's rotation covers the outbox (chat.SealedColumns).
	report, err := chat.NewPostgresStore(pool, both, nil).RotateKeys(ctx, 0)
	if err != nil || report.Resealed["referral_deliveries"] != 1 || report.Resealed["referral_partners"] != 1 || !report.Done() {
		t.Fatalf("rotation re-sealed %v, left %v: %v", report.Resealed, report.Left, err)
	}
	g, err := rotated.Get(ctx, d.ID)
	if err != nil || !bytes.Equal(g.Body, d.Body) {
		t.Fatalf("after rotation: %v", err)
	}
	if _, err := NewPostgresStore(pool, old).Get(ctx, d.ID); err == nil {
		t.Fatal("the old key alone still opens the row: it was not re-sealed")
	}
}
