package counselors_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors"
)

// Failures are counted in the store: two instances share one count, and a
// new instance (a restart) still sees the lock until it expires.
func TestLockoutIsSharedByInstancesAndSurvivesRestart(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		mustAdd(t, svc, "eva", chat.RoleCounselor)
		other := newService(t, store, clock)
		for i := range 5 {
			on := []*counselors.Service{svc, other}[i%2]
			if _, _, _, err := on.Login(ctx, "eva", "wrong password", ""); !chat.IsUnauthorized(err) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		for name, on := range map[string]*counselors.Service{"first": svc, "second": other, "restarted": newService(t, store, clock)} {
			if _, _, _, err := on.Login(ctx, "eva", password, ""); !chat.IsUnauthorized(err) {
				t.Fatalf("the %s instance let a locked account in: %v", name, err)
			}
		}
		clock.Add(15*time.Minute + time.Second)
		if _, _, _, err := newService(t, store, clock).Login(ctx, "eva", password, ""); err != nil {
			t.Fatalf("after the lock time: %v", err)
		}
	})
}

// A success clears the count: four failures, a success and four more do not lock.
func TestSuccessfulSignInClearsTheCount(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		mustAdd(t, svc, "fede", chat.RoleCounselor)
		other := newService(t, store, clock)
		for round := range 2 {
			for range 4 {
				svc.Login(ctx, "fede", "wrong password", "")
			}
			if _, _, _, err := other.Login(ctx, "fede", password, ""); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	})
}

// Failures arriving at once are each counted (one atomic step per failure),
// and a count older than the lock time starts again.
func TestSignInFailureCountIsAtomicAndExpires(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store, ctx := open(t), context.Background()
			at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
			var mu sync.Mutex
			var counts []int
			var wg sync.WaitGroup
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := store.AddSignInFailure(ctx, "gala", at, 15*time.Minute)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					counts = append(counts, n)
					mu.Unlock()
				}()
			}
			wg.Wait()
			sort.Ints(counts)
			for i, n := range counts {
				if n != i+1 {
					t.Fatalf("concurrent counts = %v", counts)
				}
			}
			if n, err := store.SignInFailures(ctx, "gala", at.Add(15*time.Minute-time.Second)); n != 20 || err != nil {
				t.Fatalf("just before the lock time: %d %v", n, err)
			}
			if n, err := store.SignInFailures(ctx, "gala", at.Add(15*time.Minute)); n != 0 || err != nil {
				t.Fatalf("at the lock time: %d %v", n, err)
			}
			if n, _ := store.AddSignInFailure(ctx, "gala", at.Add(16*time.Minute), 15*time.Minute); n != 1 {
				t.Fatalf("a failure after the lock time counts %d, want 1", n)
			}
			if err := store.ClearSignInFailures(ctx, "gala"); err != nil {
				t.Fatal(err)
			}
			if n, _ := store.SignInFailures(ctx, "gala", at.Add(16*time.Minute)); n != 0 {
				t.Fatalf("after clearing: %d", n)
			}
		})
	}
}

// failingCount is a store whose failure counts cannot be read.
type failingCount struct{ counselors.Store }

func (failingCount) SignInFailures(context.Context, string, time.Time) (int, error) {
	return 0, chat.Errorf(chat.CodeUnavailable, "the database cannot be reached")
}

// No sign-in goes ahead without its lockout check: it is refused, saying the
// service is unavailable rather than that the password was wrong.
func TestSignInIsRefusedWhenTheFailureCountCannotBeRead(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		mustAdd(t, svc, "hana", chat.RoleCounselor)
		if _, _, _, err := newService(t, failingCount{store}, clock).Login(ctx, "hana", password, ""); chat.ErrorCode(err) != chat.CodeUnavailable {
			t.Fatalf("signed in unchecked, or told the wrong reason: %v", err)
		}
	})
}
