package server

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// A Close that comes while Serve is still starting (a signal right after
// start) is safe: under -race this test fails if Serve's fields are set
// unguarded while Close reads them, and a Serve that starts after Close
// returns at once instead of serving a closed server.
func TestCloseWhileServeStarts(t *testing.T) {
	for range 20 {
		cfg, err := LoadConfig(func(k string) string {
			return map[string]string{"HELPLINE_DEMO": "false", "HELPLINE_DRAIN_DELAY": "0s"}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := Open(context.Background(), cfg, NewLogger(io.Discard, "error"), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("Serve after Close: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve kept serving after Close")
		}
		ln.Close()
	}
}
