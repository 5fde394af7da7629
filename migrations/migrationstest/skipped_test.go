package migrationstest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each skipped group is announced once per package run, on stdout and on the
// terminal, naming the package, the group and how to enable it.
func TestSkippedAnnouncesEachGroupOnce(t *testing.T) {
	var stdout bytes.Buffer
	tty := filepath.Join(t.TempDir(), "tty")
	if err := os.WriteFile(tty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	skipOut, ttyPath = &stdout, tty
	t.Cleanup(func() { skipOut, ttyPath = os.Stdout, "/dev/tty" })

	Skipped("database", "PostgreSQL not reachable; start it")
	Skipped("database", "PostgreSQL not reachable; start it")
	Skipped("browser", "chromium not found; install it")

	want := "./migrations/migrationstest: database tests skipped: PostgreSQL not reachable; start it\n" +
		"./migrations/migrationstest: browser tests skipped: chromium not found; install it\n"
	if stdout.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), want)
	}
	onTTY, err := os.ReadFile(tty)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		want = "" // -v shows stdout; the terminal gets no second copy
	}
	if string(onTTY) != want {
		t.Errorf("terminal:\n%s\nwant:\n%s", onTTY, want)
	}
	if strings.Count(stdout.String(), "database") != 1 {
		t.Errorf("database announced more than once")
	}
}
