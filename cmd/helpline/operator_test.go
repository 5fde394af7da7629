package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// Profiles and metrics are for operators: they are served on the internal
// metrics listener only, never on the public address.
func TestProfilesOnlyOnTheInternalListener(t *testing.T) {
	public, internal := freeAddr(t), freeAddr(t)
	env := map[string]string{"HELPLINE_ADDR": public, "HELPLINE_METRICS_ADDR": internal}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, func(k string) string { return env[k] }, io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get("http://" + public + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not answer /healthz within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for path, want := range map[string]int{"/debug/pprof/": 404, "/debug/pprof/heap": 404, "/metrics": 404} {
		if got := get(t, "http://"+public+path); got != want {
			t.Errorf("public %s: %d, want %d", path, got, want)
		}
	}
	for path, want := range map[string]int{"/debug/pprof/": 200, "/debug/pprof/heap": 200, "/metrics": 200} {
		if got := get(t, "http://"+internal+path); got != want {
			t.Errorf("internal %s: %d, want %d", path, got, want)
		}
	}
}
