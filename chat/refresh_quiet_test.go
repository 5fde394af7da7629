package chat

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"
)

// teamCountingRouter counts the team reads of the refresher.
type teamCountingRouter struct {
	Router
	team  []TeamMember
	reads int
}

func (r *teamCountingRouter) Team(context.Context) ([]TeamMember, error) {
	r.reads++
	return r.team, nil
}

func (r *teamCountingRouter) Waits(context.Context, []Conversation) map[string]Wait { return nil }

// steppedClock is a staff clock whose time moves only when stepped (and by
// a microsecond each time it is read, as a real one would between two
// reads), and whose timers run when it passes them.
type steppedClock struct {
	now    time.Time
	timers []steppedTimer
}

type steppedTimer struct {
	at time.Time
	f  func()
}

func (c *steppedClock) staffClock() StaffClock {
	return StaffClock{
		Now: func() time.Time { c.now = c.now.Add(time.Microsecond); return c.now },
		AfterFunc: func(d time.Duration, f func()) {
			c.timers = append(c.timers, steppedTimer{c.now.Add(d), f})
		},
	}
}

// next runs the earliest timer, moving the clock to it; false if none.
func (c *steppedClock) next() bool {
	if len(c.timers) == 0 {
		return false
	}
	sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	t := c.timers[0]
	c.timers = c.timers[1:]
	if t.at.After(c.now) {
		c.now = t.at
	}
	t.f()
	return true
}

// With nothing changing, the refresher goes quiet: two changes within a
// second are sent once the second has passed, and that is all. The two
// throttles, read a moment apart, each had the other's recheck mark
// everything dirty again, so the queue and the whole team were read twice
// a second for as long as the server ran.
func TestRefresherGoesQuietWhenNothingChanges(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore(time.Now)
	router := &teamCountingRouter{team: []TeamMember{{ID: 1, StaffID: "1", Status: "available", Capacity: 1, Languages: []string{}}}}
	hub := newHub(store)
	console := &Conn{principal: Principal{Role: RoleCounselor, StaffID: 1}, out: frameQueue{limit: 256}, wake: make(chan struct{}, 1)}
	console.ready.Store(true)
	console.streams.Store(uint32(allStreams))
	console.pending.Store(1) // no writer: the frames stay queued
	hub.add(console)
	b := newBroadcaster(store, router, hub, slog.New(slog.NewTextHandler(io.Discard, nil)))
	clock := &steppedClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	sc := clock.staffClock()
	b.clock.Store(&sc)
	refresh := func() {
		select {
		case <-b.dirty:
			if err := b.sendQueueState(ctx); err != nil {
				t.Fatal(err)
			}
		default:
		}
	}
	b.markDirty()
	refresh()
	clock.now = clock.now.Add(300 * time.Millisecond)
	b.markDirty() // a second change, within the second
	refresh()
	for steps := 0; clock.next() && steps < 100; steps++ {
		refresh()
	}
	if router.reads > 2 {
		t.Errorf("the team was read %d times for two changes, want at most 2", router.reads)
	}
	if len(clock.timers) != 0 {
		t.Errorf("%d rechecks still scheduled with nothing changed", len(clock.timers))
	}
}
