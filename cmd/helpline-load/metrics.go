package main

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scrape reads the server's Prometheus metrics (HELPLINE_METRICS_ADDR) into
// name → value; a labelled series is keyed by its whole name{labels}.
func (r *runner) scrape(ctx context.Context) map[string]float64 {
	if r.o.MetricsURL == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.o.MetricsURL, nil)
	if err != nil {
		return nil
	}
	resp, err := r.nw.api.Do(req)
	if err != nil {
		r.count.note("reading %s: %v", r.o.MetricsURL, err)
		return nil
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// RuntimeReport is the server's own account of its memory, from its
// /metrics, each taken right after a garbage collection the generator
// provoked: live heap (estimated as half the next GC goal, GOGC=100) and
// goroutine stacks, before any WebSocket and with every conversation
// established.
type RuntimeReport struct {
	LiveHeapBaselineKiB  int64   `json:"live_heap_baseline_kib"`
	LiveHeapConnectedKiB int64   `json:"live_heap_connected_kib"`
	StacksBaselineKiB    int64   `json:"stacks_baseline_kib"`
	StacksConnectedKiB   int64   `json:"stacks_connected_kib"`
	Goroutines           int64   `json:"goroutines_connected"`
	PerConnectionKiB     float64 `json:"per_connection_kib"` // (live heap + stacks) growth / open connections
	// Steady phase, from the server's counters.
	BatchMean   float64 `json:"store_batch_mean"` // messages per store round trip
	SlowClosed  int64   `json:"slow_closed"`      // connections closed with 4001 over the run
	Refused     int64   `json:"frames_refused"`   // client frames answered with an error over the run
	MetricsRead bool    `json:"metrics_read"`
}

func liveHeap(m map[string]float64) int64 {
	// The goal is live heap + (live heap + stacks) × GOGC/100; with the
	// default GOGC=100, live ≈ (goal − stacks) / 2.
	return int64((m["go_memstats_next_gc_bytes"] - m["go_memstats_stack_inuse_bytes"]) / 2 / 1024)
}

func sumPrefix(m map[string]float64, prefix string) float64 {
	var t float64
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			t += v
		}
	}
	return t
}
