package counselors_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helpline/chat"
	"helpline/counselors"
)

// BenchmarkFiftySignInsAtOnce: 50 sign-ins at once (half for an account,
// half for unknown usernames) at the default cost (m=19456 KiB t=2 p=1), with
// the default bound (GOMAXPROCS hashes in flight) and, for comparison, with
// room for all 50 (as before the bound). The wait for a slot is long here, so
// that all 50 hash. It reports the process's peak resident memory (VmHWM,
// reset before the run) and the peak of Go's heap objects (sampled every
// millisecond), and fails when the bounded peak RSS passes the ceiling:
// resident memory before the run + (2 × in flight + 1) × memory per hash.
// In flight × memory is live; Go's collector lets as much garbage again build
// up before it collects, and one more hash may allocate before it does.
// Run it once: go test -run '^$' -bench FiftySignIns -benchtime 1x ./counselors
func BenchmarkFiftySignInsAtOnce(b *testing.B) {
	const signIns = 50
	bounds := []struct {
		name     string
		inFlight int
	}{{"bound=GOMAXPROCS", runtime.GOMAXPROCS(0)}, {"bound=50(none)", signIns}}
	for _, bound := range bounds {
		b.Run(bound.name, func(b *testing.B) {
			svc := newHashingService(b)
			cfg := counselors.HashConfig{Params: counselors.DefaultHashParams(), InFlight: bound.inFlight, Wait: time.Minute}
			svc.SetHasher(counselors.NewHasher(cfg))
			if _, err := svc.AddAccount(context.Background(), counselors.NewAccount{Username: "ana", Role: chat.RoleCounselor, Password: password}, 0); err != nil {
				b.Fatal(err)
			}
			debug.FreeOSMemory() // what an earlier run left is not this run's
			idle := resetPeakRSS(b)
			stop := sampleHeap()
			b.ResetTimer()
			for range b.N {
				signInAtOnce(b, svc, signIns)
			}
			b.StopTimer()
			heap := stop()
			peak := peakRSS(b)
			ceiling := idle + (2*uint64(bound.inFlight)+1)*uint64(cfg.Params.Memory)<<10
			b.ReportMetric(mib(idle), "idle-RSS-MiB")
			b.ReportMetric(mib(peak), "peak-RSS-MiB")
			b.ReportMetric(mib(heap), "peak-heap-MiB")
			b.ReportMetric(mib(ceiling), "ceiling-MiB")
			if bound.inFlight < signIns && peak > ceiling {
				b.Errorf("peak RSS %.0f MiB passed the ceiling %.0f MiB", mib(peak), mib(ceiling))
			}
		})
	}
}

func signInAtOnce(b *testing.B, svc *counselors.Service, n int) {
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range n {
		username := "ana"
		if i%2 == 1 {
			username = fmt.Sprint("nobody", i)
		}
		wg.Go(func() {
			_, _, _, err := svc.Login(context.Background(), username, password, "")
			if (username == "ana") != (err == nil) {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatalf("%d of %d sign-ins went wrong", failed.Load(), n)
	}
}

// sampleHeap records the peak of Go's live and unswept heap objects until
// the returned stop is called.
func sampleHeap() (stop func() uint64) {
	var peak uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak }
}

// resetPeakRSS resets the kernel's peak resident memory of this process and
// returns the resident memory now.
func resetPeakRSS(b *testing.B) uint64 {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	return procStatus(b, "VmRSS:")
}

func peakRSS(b *testing.B) uint64 { return procStatus(b, "VmHWM:") }

func procStatus(b *testing.B, field string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kib, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib << 10
		}
	}
	b.Skipf("no %s in /proc/self/status", field)
	return 0
}

func mib(bytes uint64) float64 { return float64(bytes) / (1 << 20) }
