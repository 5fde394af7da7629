package chat

import (
	"testing"
	"time"
)

// clockAt is a clock stopped at t whose timers run in real time.
func clockAt(t time.Time) *StaffClock {
	return &StaffClock{Now: func() time.Time { return t }, AfterFunc: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// A throttled send asked for too early is not dropped: the refresher is
// woken once when it is due.
func TestThrottleWakesTheRefresherOnceWhenDue(t *testing.T) {
	var th throttle
	woken := make(chan time.Time, 10)
	recheck := func() { woken <- time.Now() }
	const every = 50 * time.Millisecond
	start := time.Now()
	if !th.due(clockAt(start), every, recheck) {
		t.Fatal("the first time is not due")
	}
	for _, after := range []time.Duration{0, 10 * time.Millisecond, 40 * time.Millisecond} {
		if th.due(clockAt(start.Add(after)), every, recheck) {
			t.Fatalf("due again %s after", after)
		}
	}
	select {
	case at := <-woken:
		if at.Sub(start) < every {
			t.Fatalf("woken after %s, before it was due", at.Sub(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("never woken")
	}
	select {
	case <-woken:
		t.Fatal("woken twice")
	case <-time.After(2 * every):
	}
	if !th.due(clockAt(start.Add(every)), every, recheck) {
		t.Fatal("not due when woken")
	}
}
