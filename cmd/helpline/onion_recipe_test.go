package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helpline/cmd/internal/servertest"
)

// TestOnionServiceRecipe runs the README's onion-service recipe as far as a
// machine without a network can: its torrc lines (read from the README, so
// the text is what is tested) pass tor's own check, tor started with them
// writes the onion address, and helpline given that address, as the
// README's command passes it, tells Tor Browser about it.
func TestOnionServiceRecipe(t *testing.T) {
	tor, err := exec.LookPath("tor")
	if err != nil {
		if os.Getenv("HELPLINE_REQUIRE_TOR") == "1" {
			t.Fatal("tor is not installed (apt-get install tor), and HELPLINE_REQUIRE_TOR=1")
		}
		t.Skip("tor is not installed (apt-get install tor)")
	}
	lines := readmeTorrc(t)
	dir := t.TempDir()
	hsDir := filepath.Join(dir, "helpline") + "/"
	torrc := strings.ReplaceAll(lines, "/var/lib/tor/helpline/", hsDir) +
		// What only the test needs: a data directory of its own, no SOCKS
		// port to clash with, and no attempt to reach the network.
		"DataDirectory " + filepath.Join(dir, "data") + "\nSocksPort 0\nDisableNetwork 1\n"
	conf := filepath.Join(dir, "torrc")
	if err := os.WriteFile(conf, []byte(torrc), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tor, "-f", conf, "--verify-config").CombinedOutput(); err != nil {
		t.Fatalf("tor rejects the README's torrc lines:\n%s\n%v\n%s", torrc, err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, tor, "-f", conf)
	logs := &servertest.SafeBuffer{}
	run.Stdout, run.Stderr = logs, logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); run.Wait() }()
	hostname := waitForFile(t, ctx, filepath.Join(hsDir, "hostname"), logs)

	// $(cat hostname) drops the trailing newline, as the shell does.
	address := strings.TrimRight(string(hostname), "\n")
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_ONION_ADDRESS": address}})
	res, err := http.Get(srv.URL + "/nojs/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got, want := res.Header.Get("Onion-Location"), "http://"+address+"/nojs/"; got != want {
		t.Fatalf("Onion-Location %q, want %q (tor wrote %q)", got, want, hostname)
	}
}

// readmeTorrc returns the lines of the README's ```torrc block.
func readmeTorrc(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```torrc\n")
	if !ok {
		t.Fatal("README.md has no ```torrc block for the onion-service recipe")
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok || !strings.Contains(block, "HiddenServiceDir /var/lib/tor/helpline/") {
		t.Fatalf("README.md's torrc block is not the recipe this test knows: %q", block)
	}
	return block
}

// waitForFile polls for a file tor writes shortly after it starts.
func waitForFile(t *testing.T, ctx context.Context, path string, logs *servertest.SafeBuffer) []byte {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		}
		select {
		case <-ctx.Done():
			t.Fatalf("tor wrote no %s within a minute; its log:\n%s", path, logs)
		case <-tick.C:
		}
	}
}
