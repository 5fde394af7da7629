package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"helpline/cmd/internal/servertest"
)

// TestBrowserKeyboardAndPhoneDetails: on a phone-sized touch screen, the
// pre-chat language is the page's; after
// "Start chat" the composer is in view; the end dialog opens on "No", which
// comes first; Tab stays inside it; Escape closes it and gives focus back,
// and that Escape does not count toward the double-Escape quick exit; the
// "press Esc twice" hint is hidden where there is no Escape key.
func TestBrowserKeyboardAndPhoneDetails(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory")
	browser := mustBrowser(t)
	seeker := tab(t, browser)
	browse(t, seeker, "seeker on a small touch screen starts a conversation",
		chromedp.EmulateViewport(360, 640, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/"),
		visible("#intro"),
		click("#start-prechat"),
		visible("#prechat"))
	// The pre-chat language is the page's own until the person changes it.
	if chosen := value(t, seeker, "language", chromedp.Evaluate[string](`document.getElementById('language').value + '/' + document.documentElement.lang`)); chosen != "en/en" && chosen != "es/es" {
		t.Fatalf("pre-chat language/page language = %s, want the page's language chosen", chosen)
	}
	browse(t, seeker, "seeker starts", click("#start-chat"), visible("#chat"))
	value(t, seeker, "composer focused", chromedp.Poll[bool](`document.activeElement && document.activeElement.id === 'compose'`, chromedp.WithPollingTimeout(5*time.Second)))
	inView := `(() => { const r = document.getElementById('compose').getBoundingClientRect();
		return r.top >= 0 && r.bottom <= window.innerHeight; })()`
	// What loads above it (the place in the queue, the reading) settles within moments.
	if _, err := chromedp.Run(seeker, chromedp.Poll[bool](inView, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatal("after Start chat the focused composer stays off-screen")
	}
	if display := value(t, seeker, "hint", chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.quick-exit-hint')).display`)); display != "none" {
		t.Fatalf("the Escape hint shows on a touch screen (display %q)", display)
	}

	active := func() string {
		return value(t, seeker, "focus", chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ''`))
	}
	browse(t, seeker, "seeker opens the end dialog", click("#end-chat"), visible("#end-confirm"))
	if got := active(); got != "end-confirm-no" {
		t.Fatalf("the end dialog opened with focus on %q, want end-confirm-no", got)
	}
	order := value(t, seeker, "order", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#end-confirm button')).map(b => b.id).join(',')`))
	if !strings.HasPrefix(order, "end-confirm-no,") {
		t.Fatalf("the end dialog's buttons are %s: No must come first", order)
	}
	browse(t, seeker, "Tab twice", chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	if got := active(); got != "end-confirm-no" {
		t.Fatalf("Tab left the dialog: focus on %q", got)
	}
	browse(t, seeker, "Escape closes the dialog, a second Escape right after does not leave",
		chromedp.KeyEvent(kb.Escape),
		chromedp.KeyEvent(kb.Escape),
		chromedp.Sleep(300*time.Millisecond))
	if hidden := value(t, seeker, "dialog", chromedp.Evaluate[bool](`document.getElementById('end-confirm').hidden`)); !hidden {
		t.Fatal("Escape did not close the end dialog")
	}
	if got := active(); got != "end-chat" {
		t.Fatalf("after Escape focus is on %q, want the End button", got)
	}
	if location := value(t, seeker, "location", chromedp.Location()); !strings.HasPrefix(location, srv.URL) {
		t.Fatalf("the Escape that closed the dialog counted toward quick exit: the page left for %q", location)
	}
}
