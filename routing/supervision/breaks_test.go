package supervision_test

import (
	"context"
	"testing"
	"time"

	"helpline/migrations/migrationstest"
	"helpline/routing"
	"helpline/routing/supervision"
)

func forEachBreakStore(t *testing.T, test func(t *testing.T, s supervision.BreakStore)) {
	for name, open := range map[string]func(t *testing.T) supervision.BreakStore{
		"memory": func(*testing.T) supervision.BreakStore { return supervision.NewMemoryBreaks() },
		"postgres": func(t *testing.T) supervision.BreakStore {
			pool, _ := migrationstest.MustOpen(t)
			return supervision.NewPostgresBreaks(pool)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

var t0 = time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// A status repeated keeps its start; leaving a break records its end.
func TestBreaksAreTrackedFromStatusChanges(t *testing.T) {
	forEachBreakStore(t, func(t *testing.T, s supervision.BreakStore) {
		ctx := context.Background()
		steps := []struct {
			status routing.Status
			at     time.Time
		}{{routing.StatusBusy, at(0)}, {routing.StatusBusy, at(5)}, {routing.StatusBreak, at(10)}, {routing.StatusAvailable, at(25)}}
		for i, st := range steps {
			if err := s.Changed(ctx, 9, st.status, st.at); err != nil {
				t.Fatal(err)
			}
			got, err := s.Breaks(ctx, []int64{9, 10})
			if err != nil {
				t.Fatal(err)
			}
			b, ok := got[9]
			if _, other := got[10]; !ok || other {
				t.Fatalf("step %d: %+v", i, got)
			}
			want := map[int]supervision.Break{
				0: {Status: routing.StatusBusy, Since: at(0)},
				1: {Status: routing.StatusBusy, Since: at(0)},
				2: {Status: routing.StatusBreak, Since: at(10)},
				3: {Status: routing.StatusAvailable, Since: at(25), BreakEndedAt: at(25)},
			}[i]
			if b.Status != want.Status || !b.Since.Equal(want.Since) || !b.BreakEndedAt.Equal(want.BreakEndedAt) {
				t.Fatalf("step %d: %+v, want %+v", i, b, want)
			}
		}
	})
}
