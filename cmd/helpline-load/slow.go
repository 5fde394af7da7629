package main

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// A p99 says how long the tail is, not when it happened: a server that
// stalls twice for 150 ms and one that is slow all along can share a p99.
// slowSends keeps the steady phase's slow deliveries with the time they were
// sent, so the report can name the windows the tail came from and a run can
// be laid beside the server's and PostgreSQL's own logs.
type slowSends struct {
	mu     sync.Mutex
	sentAt []int64 // Unix ns
	took   []int64 // ns
}

const (
	slowDelivery = 10 * time.Millisecond  // a delivery at least this slow is kept
	slowWindow   = 250 * time.Millisecond // slow deliveries are counted per window of send time
	slowWindows  = 5                      // the report names this many windows, the worst first
)

func (s *slowSends) add(sentAt int64, took time.Duration) {
	if took < slowDelivery {
		return
	}
	s.mu.Lock()
	s.sentAt = append(s.sentAt, sentAt)
	s.took = append(s.took, int64(took))
	s.mu.Unlock()
}

// SlowWindow is one window of send time in the steady phase and the
// deliveries sent in it that took at least slowDelivery.
type SlowWindow struct {
	At      string  `json:"at"`       // the window's start, wall clock (UTC, RFC 3339)
	OffsetS float64 `json:"offset_s"` // … and seconds after the steady phase began
	Slow    int     `json:"slow"`     // deliveries sent in it that took ≥ 10 ms
	MaxMS   float64 `json:"max_ms"`
}

// worst returns up to n windows with the most slow deliveries, most first.
func (s *slowSends) worst(steadyStart time.Time, n int) []SlowWindow {
	s.mu.Lock()
	defer s.mu.Unlock()
	byWindow := map[int64]*SlowWindow{}
	for i, at := range s.sentAt {
		k := (at - steadyStart.UnixNano()) / int64(slowWindow)
		w := byWindow[k]
		if w == nil {
			start := steadyStart.Add(time.Duration(k) * slowWindow)
			w = &SlowWindow{At: start.UTC().Format(time.RFC3339Nano), OffsetS: round2(start.Sub(steadyStart).Seconds())}
			byWindow[k] = w
		}
		w.Slow++
		w.MaxMS = max(w.MaxMS, ms(s.took[i]))
	}
	out := make([]SlowWindow, 0, len(byWindow))
	for _, w := range byWindow {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b SlowWindow) int {
		return cmp.Or(cmp.Compare(b.Slow, a.Slow), cmp.Compare(a.OffsetS, b.OffsetS))
	})
	return out[:min(n, len(out))]
}
