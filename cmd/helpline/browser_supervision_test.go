package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestBrowserSupervisionInBothLanguages: a supervisor watches a
// conversation and its counsellor sees "… is viewing"; the supervisor
// whispers and the counsellor sees it inline, marked as seen only by them;
// the supervisor takes over and the counsellor is told and loses it, while
// the seeker (a Go client beside the pages) never gets the whisper and sees
// one calm line. Spanish on the memory store, English on PostgreSQL.
func TestBrowserSupervisionInBothLanguages(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	browser := mustBrowser(t)
	for _, lang := range []string{"es", "en"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, uiStores[lang])
			tr := uiTexts(t, srv, lang)
			ctx := testCtx(t)
			counsellorPassword := srv.MustAccount(t, "marta", "Marta", chat.RoleCounselor, 2)
			supervisorPassword := srv.MustAccount(t, "sam", "Sam", chat.RoleSupervisor, 2)
			s := mustSeeker(t, ctx, srv)
			id := s.started.ConversationID
			seeker, stop := record(ctx, "the seeker", s.Client)
			defer stop()
			console, supervisor := tab(t, browser), tab(t, browser)

			uiSignIn(t, console, srv, lang, "marta", counsellorPassword)
			uiBrowse(t, console, "Marta accepts", visible("#queue button.accept"), click("#queue button.accept"), visible("#c-id"))
			uiSignIn(t, supervisor, srv, lang, "sam", supervisorPassword)
			uiBrowse(t, supervisor, "Sam watches",
				typeInto("#watch-id", id),
				click("#watch-submit"),
				visible("#conversation"),
				visible("#sup-panel"))
			viewer := uiTr(t, tr, "supervision.viewer", "name", "Sam", "role", uiTr(t, tr, "supervision.role_supervisor"))
			uiBrowse(t, console, "Marta sees Sam is viewing",
				visible("#sup-viewing"),
				uiTextIs("#sup-viewing-text", uiTr(t, tr, "supervision.viewing_one", "names", viewer)))

			const advice = "Pregúntale si hay algún menor en peligro ahora"
			uiBrowse(t, supervisor, "Sam whispers",
				typeInto("#sup-whisper", advice),
				click("#sup-whisper-send"),
				uiTextIs("#console-status", uiTr(t, tr, "supervision.whisper_sent")))
			uiBrowse(t, console, "Marta reads the whisper inline, marked as hers only",
				visible("#c-messages li.whisper"),
				uiSomeTextIs("#c-messages li.whisper .msg-body", advice),
				uiSomeTextIs("#c-messages li.whisper .msg-who", uiTr(t, tr, "supervision.whisper_from", "name", "Sam")))

			uiBrowse(t, supervisor, "Sam takes over",
				click("#sup-take"),
				visible("#sup-take-yes"),
				click("#sup-take-yes"),
				uiTextIs("#console-status", uiTr(t, tr, "supervision.taken_over_you")),
				visible("#c-composer"),
				chromedp.WaitNotVisible(chromedp.CSS("#sup-panel")))
			uiBrowse(t, console, "Marta is told, and the conversation leaves her screen",
				uiTextIs("#console-status", uiTr(t, tr, "supervision.taken_over_by", "name", "Sam")),
				chromedp.WaitNotVisible(chromedp.CSS("#conversation")))
			uiBrowse(t, supervisor, "Sam writes to the seeker",
				typeInto("#c-compose", "Hola, sigo yo contigo."),
				click("#c-send"),
				visible(`#c-messages li.from-counselor[data-state="delivered"]`))
			seeker.waitFor(t, "Sam's message", func(f chatclient.Frame) bool { return f.Type == "message" && f.Body == "Hola, sigo yo contigo." })
			calm := 0
			for _, f := range seeker.all() {
				if f.Type == "whisper" || f.Type == "watchers" || f.Type == "taken_over" || strings.Contains(string(f.Raw), "menor en peligro") {
					t.Fatalf("the seeker got %s", f.Raw)
				}
				if f.Type == "message" && f.Kind == "transferred" {
					calm++
				}
			}
			if calm != 1 {
				t.Fatalf("the seeker saw %d lines about the take-over, want one", calm)
			}
		})
	}
}
