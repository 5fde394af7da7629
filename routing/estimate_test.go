package routing

import (
	"sync"
	"testing"
	"time"
)

func TestEstimateUnknown(t *testing.T) {
	var e Estimator
	for i := range estimatorMinSamples - 1 {
		e.Add(3*time.Minute, 1, at(i))
	}
	if got := e.Estimate(1, 2, at(10)); got.Known {
		t.Errorf("with %d samples: %+v, want unknown", estimatorMinSamples-1, got)
	}
	e.Add(3*time.Minute, 1, at(5))
	if got := e.Estimate(1, 2, at(10)); !got.Known {
		t.Errorf("with %d samples: unknown", estimatorMinSamples)
	}
	if got := e.Estimate(1, 0, at(10)); got.Known {
		t.Errorf("nobody on shift: %+v, want unknown", got)
	}
	// Two hours later, the same samples are too old to say anything.
	if got := e.Estimate(1, 2, at(10).Add(estimatorMaxAge)); got.Known {
		t.Errorf("samples older than %v: %+v, want unknown", estimatorMaxAge, got)
	}
}

func TestEstimateRange(t *testing.T) {
	var e Estimator
	// One place took 2, 3, 4, 5 and 6 minutes: the 8 and 10 minute waits were
	// for seekers who joined at place 2.
	for i, s := range []struct {
		waited time.Duration
		place  int
	}{{2 * time.Minute, 1}, {3 * time.Minute, 1}, {8 * time.Minute, 2}, {10 * time.Minute, 2}, {6 * time.Minute, 1}} {
		e.Add(s.waited, s.place, at(i))
	}
	tests := []struct {
		position  int
		low, high time.Duration
	}{
		{1, 3 * time.Minute, 5 * time.Minute},    // 25th and 75th percentile of 2..6
		{2, 6 * time.Minute, 10 * time.Minute},   // twice as far back, twice as long
		{0, 3 * time.Minute, 5 * time.Minute},    // nonsense position treated as next
		{10, 30 * time.Minute, 50 * time.Minute}, // honest even when it is long
	}
	for _, tt := range tests {
		got := e.Estimate(tt.position, 1, at(10))
		if !got.Known || got.Low != tt.low || got.High != tt.high {
			t.Errorf("position %d: %+v, want %v–%v", tt.position, got, tt.low, tt.high)
		}
	}
}

func TestEstimateRounding(t *testing.T) {
	var e Estimator
	for i := range 5 {
		e.Add(time.Duration(i)*10*time.Second, 1, at(i)) // 0s to 40s
	}
	got := e.Estimate(1, 1, at(10))
	if got.Low != time.Minute || got.High != 2*time.Minute {
		t.Errorf("short waits: %+v, want 1–2 min (never 0, always a range)", got)
	}
	var e2 Estimator
	for i := range 5 {
		e2.Add(90*time.Second, 1, at(i))
	}
	got = e2.Estimate(1, 1, at(10))
	if got.Low != time.Minute || got.High != 2*time.Minute {
		t.Errorf("90s waits: %+v, want Low rounded down, High rounded up: 1–2 min", got)
	}
}

func TestEstimateKeepsOnlyRecent(t *testing.T) {
	var e Estimator
	for i := range 10 {
		e.Add(time.Hour, 1, at(i)) // a bad spell, pushed out of the ring below
	}
	for i := range estimatorSize {
		e.Add(time.Minute, 1, at(10+i))
	}
	if got := e.Estimate(1, 1, at(60)); got.Low != time.Minute || got.High != 2*time.Minute {
		t.Errorf("after %d short waits: %+v, want 1–2 min", estimatorSize, got)
	}
}

func TestEstimatorConcurrent(t *testing.T) {
	var e Estimator
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				e.Add(time.Duration(i)*time.Second, 1+g, at(i%60))
				e.Estimate(3, 2, at(60))
			}
		})
	}
	wg.Wait()
	if got := e.Estimate(1, 1, at(60)); !got.Known {
		t.Errorf("after 400 samples: %+v", got)
	}
}
