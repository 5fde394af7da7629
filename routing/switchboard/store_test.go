package switchboard_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"helpline/migrations/migrationstest"
	"helpline/routing/switchboard"
)

// The contract both stores pass.
func forEachStore(t *testing.T, test func(t *testing.T, s switchboard.Store)) {
	for name, open := range map[string]func(t *testing.T) switchboard.Store{
		"memory": func(*testing.T) switchboard.Store { return switchboard.NewMemoryStore() },
		"postgres": func(t *testing.T) switchboard.Store {
			pool, _ := migrationstest.MustOpen(t)
			return switchboard.NewPostgresStore(pool)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

var since = time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)

func TestStoreKeepsOnePausePerSkill(t *testing.T) {
	forEachStore(t, func(t *testing.T, s switchboard.Store) {
		ctx := context.Background()
		first := switchboard.Pause{Audience: "self", Language: "", ByID: 1, ByName: "Sara", Since: since}
		if got, created, err := s.Put(ctx, first); err != nil || !created || got != first {
			t.Fatalf("first pause: %+v %v %v", got, created, err)
		}
		later := switchboard.Pause{Audience: "self", Language: "", ByID: 2, ByName: "Beto", Since: since.Add(time.Minute)}
		if got, created, err := s.Put(ctx, later); err != nil || created || got != first {
			t.Fatalf("pausing again: %+v %v %v, want the first to stand", got, created, err)
		}
		es := switchboard.Pause{Audience: "self", Language: "es", ByID: 2, ByName: "Beto", Since: since.Add(time.Minute)}
		if _, created, err := s.Put(ctx, es); err != nil || !created {
			t.Fatalf("another language is another skill: %v %v", created, err)
		}
		all, err := s.List(ctx)
		if err != nil || len(all) != 2 || all[0] != first || all[1] != es {
			t.Fatalf("list: %+v %v", all, err)
		}
		if ok, err := s.Delete(ctx, "self", ""); err != nil || !ok {
			t.Fatalf("delete: %v %v", ok, err)
		}
		if ok, err := s.Delete(ctx, "self", ""); err != nil || ok {
			t.Fatalf("delete again: %v %v", ok, err)
		}
		if all, _ := s.List(ctx); len(all) != 1 || all[0] != es {
			t.Fatalf("after delete: %+v", all)
		}
	})
}

// TestPausesAndResumesAtTheSameMomentNeverFail: supervisors pausing and
// resuming one skill at once each get an answer, never an error (a pause
// read back just after another's resume is set again).
func TestPausesAndResumesAtTheSameMomentNeverFail(t *testing.T) {
	forEachStore(t, func(t *testing.T, s switchboard.Store) {
		ctx := context.Background()
		errs := make(chan error, 200)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 25 {
					var err error
					if i%2 == 0 {
						_, _, err = s.Put(ctx, switchboard.Pause{Audience: "young", Language: "es", ByID: int64(i + 1), ByName: "S", Since: since})
					} else {
						_, err = s.Delete(ctx, "young", "es")
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("a pause or resume at the same moment as another failed: %v", err)
		}
	})
}
