package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestBrowserMissedOffersNoticeStaysUntilDismissed: a counsellor who lets
// an offer pass and is set to busy for it sees a notice that stays (it is
// not a passing flash) until they dismiss it; the sound switch is on by
// default and remembered.
func TestBrowserMissedOffersNoticeStaysUntilDismissed(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{
		"HELPLINE_ROUTING": "offer", "HELPLINE_OFFER_TIMEOUT": "1s", "HELPLINE_MAX_MISSES": "1"}})
	tr := uiTexts(t, srv, "en")
	password := srv.MustAccount(t, "olga", "Olga", chat.RoleCounselor, 2)
	browser := mustBrowser(t)
	console := tab(t, browser)
	uiSignIn(t, console, srv, "en", "olga", password)
	if on := value(t, console, "sound switch", chromedp.Evaluate[bool](`document.getElementById('sound-offers').checked`)); !on {
		t.Fatal("the offer sound is off by default")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := chatclient.StartConversation(ctx, srv.URL, "self", "en", ""); err != nil {
		t.Fatal(err)
	}
	uiBrowse(t, console, "the offer passes unanswered and Olga is set to busy",
		visible("#offers-panel"),
		visible("#missed-offers"),
		uiTextIs("#missed-offers p", uiTr(t, tr, "console.missed_offers")),
		visible(`#team li.me[data-status="busy"]`),
		chromedp.Sleep(9*time.Second), // longer than a passing notice lasts
		visible("#missed-offers"),
		click("#missed-offers-dismiss"),
		chromedp.WaitNotVisible(chromedp.CSS("#missed-offers")),
		click("#sound-offers"),
		chromedp.Reload(),
		visible("#workspace"),
		uiWait(`document.getElementById('sound-offers').checked === false`))
}
