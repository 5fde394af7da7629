package main

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// TestProfileLoad runs a bigger load against an in-process server so that
// the server can be profiled. It is skipped unless HELPLINE_LOAD_PROFILE
// names the store:
//
//	HELPLINE_LOAD_PROFILE=postgres HELPLINE_LOAD_SEEKERS=2000 HELPLINE_LOAD_INTERVAL=2s \
//	  go test -run TestProfileLoad -count=1 -timeout 20m ./cmd/helpline-load
//	go tool pprof -tagignore side=generator -top /tmp/helpline-cpu-steady.out   # the server alone
//
// The CPU profile covers the steady phase only (not the sign-ins' argon2id
// hashing); the generator's goroutines carry the pprof label
// side=generator. A heap profile of the whole process is written when every
// conversation is established. Knobs: HELPLINE_LOAD_CPU
// (/tmp/helpline-cpu-steady.out), HELPLINE_LOAD_HEAP
// (/tmp/helpline-heap-connected.out), HELPLINE_LOAD_CPU_WINDOW (steady, or
// ramp: arrivals until all assigned), HELPLINE_LOAD_DURATION (30s),
// HELPLINE_LOAD_CAPACITY (10), HELPLINE_LOAD_RATE (100),
// HELPLINE_LOAD_ROUTING (offer), HELPLINE_LOAD_STORM (1).
func TestProfileLoad(t *testing.T) {
	store := os.Getenv("HELPLINE_LOAD_PROFILE")
	if store == "" {
		t.Skip("set HELPLINE_LOAD_PROFILE=memory or postgres to run")
	}
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	atoi := func(name, def string) int {
		n, err := strconv.Atoi(env(name, def))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return n
	}
	dur := func(name, def string) time.Duration {
		d, err := time.ParseDuration(env(name, def))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return d
	}
	routing := env("HELPLINE_LOAD_ROUTING", RoutingOffer)
	srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_LOG_LEVEL": "info", "HELPLINE_ROUTING": routing}})
	password := srv.MustAccount(t, "load-admin", "Load admin", chat.RoleAdmin, 1)

	o := DefaultOptions()
	o.URL, o.Label, o.Admin, o.Routing = srv.URL, store+"/"+routing+" (in-process)", "load-admin:"+password, routing
	o.Seekers = atoi("HELPLINE_LOAD_SEEKERS", "1000")
	o.CounselorCapacity = atoi("HELPLINE_LOAD_CAPACITY", "10")
	rate, err := strconv.ParseFloat(env("HELPLINE_LOAD_RATE", "100"), 64)
	if err != nil {
		t.Fatal(err)
	}
	o.ArrivalRate = rate
	o.Duration = dur("HELPLINE_LOAD_DURATION", "30s")
	o.Interval = dur("HELPLINE_LOAD_INTERVAL", "1s")
	o.Jitter = o.Interval / 4
	o.Storm = env("HELPLINE_LOAD_STORM", "1") == "1"
	o.Log = &testLog{t: t}
	heapFile := env("HELPLINE_LOAD_HEAP", "/tmp/helpline-heap-connected.out")
	cpuFile, err := os.Create(env("HELPLINE_LOAD_CPU", "/tmp/helpline-cpu-steady.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer cpuFile.Close()
	window := env("HELPLINE_LOAD_CPU_WINDOW", "steady") // or ramp: arrivals and assignment
	o.OnPhase = func(phase string) {
		switch {
		case window == "ramp" && phase == "ramp" || window == "steady" && phase == "connected":
			defer func() {
				if err := pprof.StartCPUProfile(cpuFile); err != nil {
					t.Errorf("CPU profile: %v (run without -cpuprofile)", err)
				}
			}()
		case window == "ramp" && phase == "connected" || window == "steady" && phase == "steady":
			pprof.StopCPUProfile()
		}
		if phase != "connected" {
			return
		}
		runtime.GC()
		f, err := os.Create(heapFile)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			t.Error(err)
		}
		// Goroutines, with the side=generator label, to tell the server's stacks apart.
		if g, err := os.Create(heapFile + ".goroutines"); err == nil {
			pprof.Lookup("goroutine").WriteTo(g, 0)
			g.Close()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("heap profile at %q: heap in use %.1f MiB, stacks %.1f MiB, %d goroutines (server and generator together)",
			heapFile, float64(ms.HeapInuse)/(1<<20), float64(ms.StackInuse)/(1<<20), runtime.NumGoroutine())
	}
	var rep Report
	pprof.Do(context.Background(), pprof.Labels("side", "generator"), func(ctx context.Context) {
		rep, err = Run(ctx, o)
	})
	var table bytes.Buffer
	rep.WriteTable(&table)
	t.Logf("report:\n%s", table.String())
	if err != nil {
		t.Fatal(err)
	}
}
