package chat

import (
	"runtime"
	"sync"
	"testing"
)

// waitIdleWriters yields until at least n writer goroutines wait for work.
func waitIdleWriters(t *testing.T, n int32) {
	t.Helper()
	for i := 0; idleWriterCount.Load() < n; i++ {
		if i > 1_000_000 {
			t.Fatalf("%d writer goroutines waiting, want %d", idleWriterCount.Load(), n)
		}
		runtime.Gosched()
	}
}

// A connection's writer runs on the goroutine an earlier writer finished
// on, when one waits: no goroutine is made for it (each new one grew its
// stack by copying on every frame it wrote).
func TestWritersReuseTheirGoroutines(t *testing.T) {
	var wg sync.WaitGroup
	conn := func() *Conn {
		c := &Conn{wake: make(chan struct{}, 1)}
		c.writer = func() { // serves its kick and stops, as writeLoop does
			c.pending.Add(-1)
			wg.Done()
		}
		return c
	}
	a, b := conn(), conn()
	wg.Add(1)
	a.kick()
	wg.Wait()
	waitIdleWriters(t, 1)
	started := writersStarted.Load()
	for range 100 {
		for _, c := range []*Conn{a, b} {
			wg.Add(1)
			c.kick()
			wg.Wait()
			waitIdleWriters(t, 1)
		}
	}
	if n := writersStarted.Load() - started; n != 0 {
		t.Errorf("%d writer goroutines made for 200 writers run one after another, want 0", n)
	}
}

// After a burst of writers running at once, at most maxIdleWriters
// goroutines stay waiting for more; the rest end.
func TestIdleWritersAreBounded(t *testing.T) {
	const burst = maxIdleWriters + 40
	release := make(chan struct{})
	var running, done sync.WaitGroup
	running.Add(burst)
	done.Add(burst)
	for range burst {
		c := &Conn{wake: make(chan struct{}, 1)}
		c.writer = func() { // held until the whole burst runs at once
			running.Done()
			<-release
			c.pending.Add(-1)
			done.Done()
		}
		c.kick()
	}
	running.Wait()
	close(release)
	done.Wait()
	waitIdleWriters(t, maxIdleWriters)
	for range 1000 {
		runtime.Gosched() // let any goroutine past the bound end
	}
	if n := idleWriterCount.Load(); n > maxIdleWriters {
		t.Errorf("%d writer goroutines waiting after a burst of %d, want at most %d", n, burst, maxIdleWriters)
	}
}
