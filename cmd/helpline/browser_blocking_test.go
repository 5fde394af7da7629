package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// TestBrowserBlockedSeekerIsPausedCalmly: a counsellor (console in English)
// ends an abusive conversation with "End and pause"; the seeker's page (in
// Spanish) says so calmly, and starting again from that browser shows the
// pause with its end time instead of a new conversation.
func TestBrowserBlockedSeekerIsPausedCalmly(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory")
	password := srv.MustAccount(t, "bea", "Bea", chat.RoleCounselor, 2)
	browser := mustBrowser(t)
	seeker, console := tab(t, browser), tab(t, browser)

	browse(t, seeker, "seeker starts a conversation",
		chromedp.Navigate(srv.URL+"/"),
		visible("#intro"),
		chooseLanguage("es"),
		click("#start-prechat"),
		visible("#prechat"),
		click("#start-chat"),
		visible("#chat"),
		typeInto("#compose", "prueba"),
		click("#send"),
		visible(`#messages li.from-seeker[data-state="delivered"]`))
	browse(t, console, "counsellor accepts, then ends and pauses",
		chromedp.Navigate(srv.URL+"/console"),
		visible("#login"),
		chooseLanguage("en"),
		typeInto("#username", "bea"),
		typeInto("#password", password),
		click("#login-submit"),
		visible("#queue button.accept"),
		click("#queue button.accept"),
		visible("#c-messages li.from-seeker"),
		click("#c-end"),
		visible("#c-end-block"))
	if label := value(t, console, "block button", textOf("#c-end-block")); !strings.Contains(label, "pause new conversations") {
		t.Fatalf("the block button reads %q", label)
	}
	browse(t, console, "counsellor ends and pauses", click("#c-end-block"))

	browse(t, seeker, "seeker sees the calm closing text", visible("#closing"))
	if closing := value(t, seeker, "closing", textOf("#closing-text")); !strings.Contains(closing, "en pausa") {
		t.Fatalf("closing text %q does not say new conversations are paused", closing)
	}
	// The page keeps the marker (asked for once the end is shown), then tries again.
	value(t, seeker, "the pause marker kept", chromedp.Poll[bool](`!!localStorage.getItem('helpline.pause')`, chromedp.WithPollingTimeout(10*time.Second)))
	browse(t, seeker, "seeker tries to start again",
		click("#new-chat"),
		visible("#intro"),
		click("#start-prechat"),
		visible("#prechat"),
		click("#start-chat"),
		visible("#closed"))
	if reason := value(t, seeker, "closed reason", textOf("#closed-reason")); !strings.Contains(reason, "en pausa") {
		t.Fatalf("closed page says %q, want the pause", reason)
	}
	if next := value(t, seeker, "until", textOf("#closed-next")); !strings.Contains(next, "Podrás empezar") {
		t.Fatalf("closed page says %q, want when the pause ends", next)
	}
}
