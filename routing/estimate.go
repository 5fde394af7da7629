package routing

import (
	"slices"
	"sync"
	"time"
)

// Estimator settings: the last estimatorSize assignments, none older than
// estimatorMaxAge, and at least estimatorMinSamples of them before we guess.
const (
	estimatorSize       = 50
	estimatorMaxAge     = 2 * time.Hour
	estimatorMinSamples = 5
)

// Estimate is a wait shown to a seeker. When Known is false, say "we don't know
// yet" rather than invent a number.
type Estimate struct {
	Known     bool
	Low, High time.Duration // whole minutes, 1 min <= Low < High
}

// Estimator learns from recent assignments how long a place in the queue takes.
// The zero value is ready to use; it is safe for concurrent use.
//
// The formula, kept simple so it can be explained to anyone: each sample is
// the time a seeker waited divided by the place they had when they joined, that
// is, how long one place in the queue took for them. A seeker at position p is
// told p × the 25th percentile to p × the 75th percentile of those, rounded out
// to whole minutes (Low down, at least 1; High up, at least Low+1). Half of
// recent seekers' per-place times fall inside that range, and because it is
// per place it does not grow pessimistic at quiet times when people were
// served at once. It already reflects how many counsellors were working; a
// sudden change of staffing shows within a few samples.
type Estimator struct {
	mu   sync.Mutex
	ring [estimatorSize]sample
	n    int // samples stored, up to estimatorSize
	next int // where the next sample goes
}

type sample struct {
	perPlace time.Duration
	at       time.Time
}

// Add records that a seeker who joined the queue at position (1 = next) waited
// waited before a counsellor took them, at time at.
func (e *Estimator) Add(waited time.Duration, position int, at time.Time) {
	position = max(position, 1)
	waited = max(waited, 0)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ring[e.next] = sample{perPlace: waited / time.Duration(position), at: at}
	e.next = (e.next + 1) % estimatorSize
	e.n = min(e.n+1, estimatorSize)
}

// Estimate is the wait for the seeker at position when counselorsOnShift could
// take them (len of Pool). Unknown with no one on shift or too few recent
// samples.
func (e *Estimator) Estimate(position, counselorsOnShift int, now time.Time) Estimate {
	if counselorsOnShift <= 0 {
		return Estimate{}
	}
	e.mu.Lock()
	var recent []time.Duration
	for _, s := range e.ring[:e.n] {
		if age := now.Sub(s.at); age >= 0 && age <= estimatorMaxAge {
			recent = append(recent, s.perPlace)
		}
	}
	e.mu.Unlock()
	if len(recent) < estimatorMinSamples {
		return Estimate{}
	}
	slices.Sort(recent)
	p := time.Duration(max(position, 1))
	low := max((p * percentile(recent, 25)).Truncate(time.Minute), time.Minute)
	high := ceilMinute(p * percentile(recent, 75))
	high = max(high, low+time.Minute)
	return Estimate{Known: true, Low: low, High: high}
}

// percentile is the nearest-rank percentile of sorted, non-empty xs.
func percentile(xs []time.Duration, pct int) time.Duration {
	i := (pct*len(xs) + 99) / 100 // ceil(pct/100 × n), 1-based
	return xs[max(i, 1)-1]
}

func ceilMinute(d time.Duration) time.Duration {
	if t := d.Truncate(time.Minute); t != d {
		return t + time.Minute
	}
	return d
}
