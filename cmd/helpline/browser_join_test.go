package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// TestBrowserSupervisorJoinsAndLeavesInBothLanguages: a supervisor opens a
// live conversation from the supervisor page and joins it; the seeker (in
// the seeker page) reads that another member of the team has joined; the
// counsellor and the supervisor both write and the seeker reads both; the
// supervisor leaves, which the seeker and the counsellor are told, and is
// back to watching (no composer). Spanish on the memory store, English on
// PostgreSQL.
func TestBrowserSupervisorJoinsAndLeavesInBothLanguages(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	browser := mustBrowser(t)
	for _, lang := range []string{"es", "en"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, uiStores[lang])
			tr := uiTexts(t, srv, lang)
			counsellorPassword := srv.MustAccount(t, "marta", "Marta", chat.RoleCounselor, 2)
			supervisorPassword := srv.MustAccount(t, "sam", "Sam", chat.RoleSupervisor, 2)
			seeker, console, supervisor := longTab(t, browser), longTab(t, browser), longTab(t, browser)
			listenForPageErrors(t, supervisor, "the supervisor's pages")

			uiSeekerStarts(t, seeker, srv, lang, "self", lang)
			uiSignIn(t, console, srv, lang, "marta", counsellorPassword)
			uiBrowse(t, console, "Marta accepts", visible("#queue button.accept"), click("#queue button.accept"), visible("#c-id"))
			uiBrowse(t, supervisor, "Sam opens the conversation from the supervisor page",
				chromedp.Navigate(srv.URL+"/supervisor"),
				visible("#login"),
				chooseLanguage(lang),
				uiWait(`document.documentElement.lang === `+uiJS(lang)),
				typeInto("#username", "sam"),
				typeInto("#password", supervisorPassword),
				click("#login-submit"),
				visible("#live-rows tr a"),
				click("#live-rows tr a"),
				visible("#conversation"),
				visible("#sup-panel"),
				chromedp.WaitNotVisible(chromedp.CSS("#c-composer")))

			uiBrowse(t, supervisor, "Sam joins",
				visible("#sup-join"),
				click("#sup-join"),
				uiTextIs("#console-status", uiTr(t, tr, "supervision.joined_you")),
				visible("#c-composer"),
				visible("#sup-leave"))
			uiBrowse(t, seeker, "the seeker reads that another member of the team joined",
				uiSomeTextIs("#messages li.from-system .msg-body", uiTr(t, tr, "supervision.seeker_joined")))
			uiBrowse(t, console, "Marta reads that Sam joined",
				uiSomeTextIs("#c-messages li.from-system .msg-body", uiTr(t, tr, "supervision.system_joined", "name", "Sam")))

			const fromMarta, fromSam = "Sigo aquí contigo.", "Hola, soy otra persona del equipo."
			uiBrowse(t, console, "Marta writes",
				typeInto("#c-compose", fromMarta),
				click("#c-send"),
				uiSomeTextIs(`#c-messages li.from-counselor[data-state="delivered"] .msg-body`, fromMarta))
			uiBrowse(t, supervisor, "Sam writes",
				typeInto("#c-compose", fromSam),
				click("#c-send"),
				uiSomeTextIs(`#c-messages li.from-counselor[data-state="delivered"] .msg-body`, fromSam))
			uiBrowse(t, seeker, "the seeker reads both",
				uiSomeTextIs("#messages li.from-counselor .msg-body", fromMarta),
				uiSomeTextIs("#messages li.from-counselor .msg-body", fromSam))
			uiBrowse(t, console, "Marta reads Sam's message too",
				uiSomeTextIs("#c-messages li.from-counselor .msg-body", fromSam))

			uiBrowse(t, supervisor, "Sam leaves and is watching again",
				click("#sup-leave"),
				uiTextIs("#console-status", uiTr(t, tr, "supervision.left_you")),
				chromedp.WaitNotVisible(chromedp.CSS("#c-composer")),
				visible("#sup-join"))
			uiBrowse(t, seeker, "the seeker is told the other member of the team left",
				uiSomeTextIs("#messages li.from-system .msg-body", uiTr(t, tr, "supervision.seeker_left")))
			uiBrowse(t, console, "Marta is told Sam left",
				uiSomeTextIs("#c-messages li.from-system .msg-body", uiTr(t, tr, "supervision.system_left", "name", "Sam")))
		})
	}
}

// longTab is tab for a scenario of many steps across three pages, which
// needs more than tab's minute on a busy machine.
func longTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return ctx
}
