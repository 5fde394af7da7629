package counselors_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"helpline/chat"
	"helpline/counselors"
)

var cheapParams = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// heldHashes stands in for argon2id: each hash announces itself on entered
// and counts how many run at once; the first hold of them wait for a
// release before they end (hold < 0: all of them).
type heldHashes struct {
	hold    int
	entered chan string // the hash compared against, or "create"
	release chan struct{}
	waiting chan struct{} // one per hash that had to wait for a slot
	expire  chan time.Time

	mu        sync.Mutex
	now, most int
	total     int
}

func newHeldHashes(hold int) *heldHashes {
	return &heldHashes{hold: hold, entered: make(chan string, 100), release: make(chan struct{}, 100),
		waiting: make(chan struct{}, 100), expire: make(chan time.Time)}
}

func (h *heldHashes) run(what string) {
	h.mu.Lock()
	h.now++
	h.total++
	h.most = max(h.most, h.now)
	held := h.hold < 0 || h.total <= h.hold
	h.mu.Unlock()
	h.entered <- what
	if held {
		<-h.release
	}
	h.mu.Lock()
	h.now--
	h.mu.Unlock()
}

func (h *heldHashes) compare(password, hash string) (bool, error) {
	h.run(hash)
	return argon2id.ComparePasswordAndHash(password, hash)
}

func (h *heldHashes) create(password string, p *argon2id.Params) (string, error) {
	h.run("create")
	return argon2id.CreateHash(password, p)
}

// after is the Hasher's wait for a slot: it reports the wait and ends it only
// when the test sends on expire.
func (h *heldHashes) after(time.Duration) <-chan time.Time {
	h.waiting <- struct{}{}
	return h.expire
}

func (h *heldHashes) config(inFlight int) counselors.HashConfig {
	return counselors.HashConfig{Params: cheapParams, InFlight: inFlight, Compare: h.compare, Create: h.create, After: h.after}
}

func (h *heldHashes) counts() (most, total int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.most, h.total
}

func newHashingService(t testing.TB) *counselors.Service {
	t.Helper()
	tokens, err := chat.NewTokens(chat.NewKey("t"), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := counselors.NewService(counselors.NewMemoryStore(), tokens, &recordingBroker{}, time.Hour, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.SetHashParams(cheapParams)
	return svc
}

// TestSignInsRunAtMostInFlightHashes: with the bound at N, N+k sign-ins at
// once (known and unknown usernames alike) run N hashes while k wait for a
// slot; never more than N run at once, and each waiter then gets its turn.
func TestSignInsRunAtMostInFlightHashes(t *testing.T) {
	const n, k = 2, 6
	svc := newHashingService(t)
	mustAdd(t, svc, "ana", chat.RoleCounselor)
	held := newHeldHashes(-1)
	svc.SetHasher(counselors.NewHasher(held.config(n)))

	ctx := context.Background()
	results := make(chan error, n+k)
	for i := range n + k {
		username := "ana"
		if i%2 == 1 {
			username = fmt.Sprint("nobody", i) // the dummy hash takes a slot too
		}
		go func() {
			_, _, _, err := svc.Login(ctx, username, password, "")
			switch {
			case username == "ana" && err != nil:
				err = fmt.Errorf("%s: %w", username, err)
			case username != "ana" && !chat.IsUnauthorized(err):
				err = fmt.Errorf("%s: got %v, want unauthorized", username, err)
			default:
				err = nil
			}
			results <- err
		}()
	}
	// Every sign-in either hashes or waits for a slot.
	running, waiting := 0, 0
	for running+waiting < n+k {
		select {
		case <-held.entered:
			running++
		case <-held.waiting:
			waiting++
		}
	}
	if running != n || waiting != k {
		t.Fatalf("%d sign-ins hashed at once and %d waited, want %d and %d", running, waiting, n, k)
	}
	// Each hash that ends lets one waiter in.
	for i := range n + k {
		held.release <- struct{}{}
		if i < k {
			<-held.entered
		}
		if most, _ := held.counts(); most > n {
			t.Fatalf("%d hashes ran at once, bound is %d", most, n)
		}
	}
	for range n + k {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	if most, total := held.counts(); most != n || total != n+k {
		t.Errorf("at most %d hashes at once of %d, want %d of %d", most, total, n, n+k)
	}
}

// TestNoSlotMeansUnavailable: while every slot is taken, a sign-in (known,
// unknown or locked username) and a new account each wait, then get
// unavailable with a time to retry; being refused so is no failed sign-in.
func TestNoSlotMeansUnavailable(t *testing.T) {
	svc := newHashingService(t)
	mustAdd(t, svc, "ana", chat.RoleCounselor)
	mustAdd(t, svc, "bea", chat.RoleCounselor)
	ctx := context.Background()
	for range 5 {
		svc.Login(ctx, "bea", "wrong password!", "") // bea is locked
	}
	held := newHeldHashes(1)
	svc.SetHasher(counselors.NewHasher(held.config(1)))

	first := make(chan error, 1)
	go func() {
		_, _, _, err := svc.Login(ctx, "ana", password, "")
		first <- err
	}()
	<-held.entered // the one slot is now taken
	busy := map[string]func() error{
		"known username":   func() error { _, _, _, err := svc.Login(ctx, "ana", password, ""); return err },
		"unknown username": func() error { _, _, _, err := svc.Login(ctx, "nobody", password, ""); return err },
		"locked username":  func() error { _, _, _, err := svc.Login(ctx, "bea", password, ""); return err },
		"new account": func() error {
			_, err := svc.AddAccount(ctx, counselors.NewAccount{Username: "cris", Role: chat.RoleCounselor, Password: password}, 0)
			return err
		},
	}
	for range 5 { // as many as would lock an account
		for name, try := range busy {
			errc := make(chan error, 1)
			go func() { errc <- try() }()
			select {
			case <-held.waiting: // it waits for the slot …
				held.expire <- time.Time{} // … until the wait is over
			case <-held.entered:
				t.Fatalf("%s hashed while the only slot was taken", name)
			}
			err := <-errc
			var e *chat.Error
			if !errors.As(err, &e) || e.Code != chat.CodeUnavailable || e.RetryAfter <= 0 {
				t.Fatalf("%s while every slot is taken: %v, want unavailable with a retry time", name, err)
			}
		}
	}
	held.release <- struct{}{}
	if err := <-first; err != nil {
		t.Fatalf("the sign-in holding the slot: %v", err)
	}
	if _, total := held.counts(); total != 1 {
		t.Errorf("%d hashes ran, want only the first sign-in's", total)
	}
	svc.SetHasher(counselors.NewHasher(counselors.HashConfig{Params: cheapParams}))
	if _, _, _, err := svc.Login(ctx, "ana", password, ""); err != nil {
		t.Fatalf("ana after five refusals for want of a slot: %v", err)
	}
}

// TestChangedCostKeepsOldHashes: argon2id hashes carry their own cost, so an
// account made at one cost still signs in after the cost changes; new
// accounts and the unknown-username hash use the new cost.
func TestChangedCostKeepsOldHashes(t *testing.T) {
	svc := newHashingService(t)
	ctx := context.Background()
	old := mustAdd(t, svc, "ana", chat.RoleCounselor)
	newer := &argon2id.Params{Memory: 2048, Iterations: 2, Parallelism: 2, SaltLength: 16, KeyLength: 32}
	var compared []string
	var mu sync.Mutex
	svc.SetHasher(counselors.NewHasher(counselors.HashConfig{Params: newer, Compare: func(password, hash string) (bool, error) {
		mu.Lock()
		compared = append(compared, hash)
		mu.Unlock()
		return argon2id.ComparePasswordAndHash(password, hash)
	}}))
	if _, _, _, err := svc.Login(ctx, "ana", password, ""); err != nil {
		t.Fatalf("an account hashed at the old cost cannot sign in: %v", err)
	}
	if p := mustDecode(t, old.PasswordHash); p.Memory != cheapParams.Memory || p.Iterations != cheapParams.Iterations {
		t.Fatalf("the old hash has cost %+v", p)
	}
	b := mustAdd(t, svc, "bea", chat.RoleCounselor)
	if p := mustDecode(t, b.PasswordHash); p.Memory != 2048 || p.Iterations != 2 || p.Parallelism != 2 {
		t.Errorf("a new account was hashed at %+v, want m=2048 t=2 p=2", p)
	}
	if _, _, _, err := svc.Login(ctx, "bea", password, ""); err != nil {
		t.Fatalf("bea: %v", err)
	}
	if _, _, _, err := svc.Login(ctx, "nobody", password, ""); !chat.IsUnauthorized(err) {
		t.Fatalf("unknown username: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(compared) != 3 {
		t.Fatalf("%d hashes compared, want 3", len(compared))
	}
	if p := mustDecode(t, compared[2]); p.Memory != 2048 || p.Iterations != 2 || p.Parallelism != 2 || p.KeyLength != 32 || p.SaltLength != 16 {
		t.Errorf("an unknown username was checked at %+v, want the configured cost", p)
	}
}

func mustDecode(t *testing.T, hash string) *argon2id.Params {
	t.Helper()
	p, _, _, err := argon2id.DecodeHash(hash)
	if err != nil {
		t.Fatalf("%q: %v", hash, err)
	}
	return p
}
