package main

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"helpline/cmd/internal/servertest"
)

// buildServer builds the server binary into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "helpline")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the server: %v\n%s", err, out)
	}
	return bin
}

// killMidDelivery runs the server binary bin as a process of its
// own on srv's database, delivering the outbox to partner p, until at
// least 200 requests reached the partner; then it kills the process with
// SIGKILL, while requests are still in flight (the partner answers
// slowly), and returns how many requests the partner had seen by then.
// Nothing the process held survives it but the outbox rows and their
// leases, which is what a crash leaves.
func killMidDelivery(t *testing.T, bin string, srv *servertest.Server, p *testPartner, requests *atomic.Int64) int64 {
	t.Helper()
	dir := t.TempDir()
	// The process trusts the partner's test certificate the way any Go
	// program on Linux takes extra roots: SSL_CERT_FILE.
	certFile := filepath.Join(dir, "partner.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
	if err := os.WriteFile(certFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "SSL_CERT_FILE=" + certFile,
		"DATABASE_URL=" + srv.Config.DatabaseURL, "HELPLINE_ENCRYPTION_KEYS=" + servertest.TestEncryptionKey,
		"HELPLINE_TOKEN_KEYS=" + servertest.TestTokenKey, "HELPLINE_ADDR=" + freeAddr(t), "HELPLINE_DEMO=false",
		"HELPLINE_REFERRAL_INTERVAL=100ms", "HELPLINE_LOG_LEVEL=warn"}
	logs := &servertest.SafeBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for requests.Load() < 200 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the server process delivered nothing in 2 minutes (%d requests); its log:\n%s", requests.Load(), logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	seen := requests.Load()
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no drain, no deferred cleanup
		t.Fatal(err)
	}
	cmd.Wait()
	return seen
}
