package server

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"helpline/routing/directory"
)

// Demo mode starts with the fictional sample directory; without demo mode
// the directory starts empty.
func TestDemoLoadsTheSampleDirectory(t *testing.T) {
	want, err := directory.Sample()
	if err != nil {
		t.Fatal(err)
	}
	for _, demo := range []bool{true, false} {
		cfg, err := LoadConfig(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		cfg.Demo = demo
		s, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		services, err := s.Directory.Store().Services(context.Background(), false)
		s.Close()
		if wantN := map[bool]int{true: len(want.Services), false: 0}[demo]; err != nil || len(services) != wantN {
			t.Fatalf("demo %v: %d services (%v), want %d", demo, len(services), err, wantN)
		}
	}
}
