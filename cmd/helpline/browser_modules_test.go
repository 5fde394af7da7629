package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// pageErrors collects what a tab reports as going wrong in its scripts:
// uncaught exceptions, console.error calls and error log entries (a module
// that fails to load or link shows up only there; the page just stays
// dead).
type pageErrors struct {
	mu   sync.Mutex
	seen []string
}

// listenForPageErrors starts collecting; at the end of the test (also when a
// step failed first, as it does on a page that never started) it fails the
// test with what it collected.
func listenForPageErrors(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	pe := &pageErrors{}
	t.Cleanup(func() { pe.check(t, page) })
	err := chromedp.Listen(ctx, func(ev any) {
		var line string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			line = "exception: " + d.Text
			if d.Exception != nil {
				line += " " + d.Exception.Description
			}
			line += fmt.Sprintf(" at %s:%d", d.URL, d.LineNumber+1)
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			line = "console.error"
			for _, a := range ev.Args {
				line += " " + string(a.Value) + a.Description
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level != log.EntryLevelError {
				return
			}
			line = "log: " + ev.Entry.Text + " " + ev.Entry.URL
		default:
			return
		}
		pe.mu.Lock()
		pe.seen = append(pe.seen, line)
		pe.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (pe *pageErrors) check(t *testing.T, page string) {
	t.Helper()
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if len(pe.seen) > 0 {
		t.Errorf("the %s reported script errors:\n%s", page, strings.Join(pe.seen, "\n"))
	}
}

// Both pages are ES modules: one that fails to load breaks its page without a
// word, so this walks each page through its start and reads the browser's
// own error reports.
func TestBrowserPagesLoadTheirModulesWithoutErrors(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory")
	password := srv.MustAccount(t, "ana", "Ana", chat.RoleCounselor, 2)
	browser := mustBrowser(t)
	seeker, console := tab(t, browser), tab(t, browser)
	listenForPageErrors(t, seeker, "seeker page")
	listenForPageErrors(t, console, "console")

	uiSeekerStarts(t, seeker, srv, "es", "other", "")
	uiBrowse(t, seeker, "the seeker page connects",
		uiWait(`document.getElementById('connection').dataset.state === 'connected'`),
		typeInto("#compose", "Hola."),
		click("#send"),
		visible(`#messages li.from-seeker[data-state="delivered"]`))
	uiSignIn(t, console, srv, "es", "ana", password)
	uiBrowse(t, console, "the console takes the conversation and opens the transfer form",
		visible("#queue button.accept"),
		click("#queue button.accept"),
		visible("#c-composer"),
		visible("#c-messages li.from-seeker"),
		click("#c-transfer"),
		visible("#c-transfer-nobody"),
		click("#c-transfer-cancel"))
}
