package main

import (
	"math"
	"slices"
	"sync"
	"time"
)

// samples collects durations from many goroutines; percentiles are computed
// once at the end from every sample (no histogram approximation).
type samples struct {
	mu sync.Mutex
	ns []int64
}

func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.ns = append(s.ns, int64(d))
	s.mu.Unlock()
}

// Percentiles summarises durations in milliseconds.
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func (s *samples) summary() Percentiles {
	s.mu.Lock()
	ns := slices.Clone(s.ns)
	s.mu.Unlock()
	return summarize(ns)
}

func summarize(ns []int64) Percentiles {
	if len(ns) == 0 {
		return Percentiles{}
	}
	slices.Sort(ns)
	return Percentiles{Count: len(ns), P50: ms(percentile(ns, 50)), P95: ms(percentile(ns, 95)),
		P99: ms(percentile(ns, 99)), Max: ms(ns[len(ns)-1])}
}

// percentile is the nearest-rank percentile of sorted values: the smallest
// value that at least p% of the samples do not exceed.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func ms(ns int64) float64 { return math.Round(float64(ns)/1e4) / 100 } // 2 decimals
