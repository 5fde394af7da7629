// Skipped tells the person running the tests, once per package, that a group
// of tests (the database tests here, the browser tests in cmd/helpline) was
// skipped and how to enable it. Without it, a run
// on a machine with no PostgreSQL or no Chromium would be green and silent
// while most of the end-to-end tests never ran.
//
// `go test ./...` keeps a passing package's output to itself (it shows it
// with -v, or when the package fails), so the line also goes to the
// terminal (/dev/tty) when there is one. Where there is none, as in CI, set
// HELPLINE_REQUIRE_DB=1 and HELPLINE_REQUIRE_BROWSER=1 so that a skip fails
// the run instead.
package migrationstest

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	shownSkips sync.Map  // group → true, once printed
	skipOut    io.Writer = os.Stdout
	ttyPath              = "/dev/tty"
)

// Skipped reports, the first time it is called for group in this test
// binary, that the group's tests are skipped, with why and how to enable them.
func Skipped(group, why string) {
	if _, again := shownSkips.LoadOrStore(group, true); again {
		return
	}
	line := packageDir() + ": " + group + " tests skipped: " + why + "\n"
	io.WriteString(skipOut, line)
	if testing.Verbose() {
		return // -v streams stdout already
	}
	if tty, err := os.OpenFile(ttyPath, os.O_WRONLY|os.O_APPEND, 0); err == nil {
		tty.WriteString(line)
		tty.Close()
	}
}

// packageDir names the package under test as a path from the module root
// ("./chat"): go test runs each test binary in its package's folder.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "?"
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if rel, err := filepath.Rel(dir, wd); err == nil && rel != "." {
				return "./" + filepath.ToSlash(rel)
			}
			return wd
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}
