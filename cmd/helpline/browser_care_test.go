package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// TestBrowserCare: in each language, a counsellor's conversation turns
// high-risk (the seeker writes a phrase of imminent risk) and runs long (the
// care clock is stepped past the 5-hour cap); when the counsellor ends it,
// the console suggests a break, by keyboard, without setting one, and says
// calmly that the cap is passed; one key press takes the break (the status
// becomes "break"). The supervisor page's team list shows the counsellor
// past the cap. Then the counsellor requests a debrief from the care panel:
// it reaches the supervisor's page, the supervisor picks it up, and the
// counsellor's console says who. Spanish runs on memory, English on PostgreSQL.
func TestBrowserCare(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	browser := mustBrowser(t)
	want := map[string]struct{ suggestion, past, debrief, ack, badge string }{
		"es": {"¿Quieres tomarte una pausa breve?", "más de las 5 h 00 min recomendadas", "Hablar después", "lo ha atendido", "Pasado el límite diario"},
		"en": {"Would you like to take a short break?", "past the 5 h 00 min recommended", "Debrief", "picked it up", "Past the daily cap"},
	}
	for lang, store := range map[string]string{"es": "memory", "en": "postgres"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			w := want[lang]
			ctx := testCtx(t)
			clk := &fakeClock{t: time.Now().UTC()}
			srv.Care.SetClock(clk.now)
			cpass := srv.MustAccount(t, "c-"+lang, "Alex "+lang, chat.RoleCounselor, 3)
			spass := srv.MustAccount(t, "s-"+lang, "Sam "+lang, chat.RoleSupervisor, 3)
			seeker := mustSeeker(t, ctx, srv)
			console, super := tab(t, browser), tab(t, browser)
			listenForPageErrors(t, console, "console")
			listenForPageErrors(t, super, "supervisor page")
			signInPage := func(page, user, password string) []chromedp.Action[chromedp.Void] {
				return []chromedp.Action[chromedp.Void]{chromedp.Navigate(srv.URL + page), visible("#login"), chooseLanguage(lang),
					typeInto("#username", user), typeInto("#password", password), click("#login-submit"), visible("#workspace")}
			}
			browse(t, console, "counsellor signs in, sees the care panel, and accepts", append(signInPage("/console", "c-"+lang, cpass),
				visible("#care-panel"), visible("#queue button.accept"), click("#queue button.accept"), visible("#conversation"))...)
			send(t, ctx, seeker.Client, seeker.started.ConversationID, "r1", "Ya no quiero vivir.")
			browse(t, console, "the flag shows", visible("#c-riskflags-list li"))
			clk.add(5*time.Hour + 10*time.Minute)
			browse(t, console, "counsellor ends the conversation", click("#c-end"), visible("#c-end-yes"), click("#c-end-yes"),
				visible("#care-suggestion"))
			if got := value(t, console, "suggestion", textOf("#care-suggestion-text")); !strings.Contains(got, w.suggestion) {
				t.Fatalf("suggestion reads %q", got)
			}
			if got := value(t, console, "presence", chromedp.Evaluate[string](`document.getElementById('presence').value`)); got == "break" {
				t.Fatal("a suggested break was set without asking")
			}
			browse(t, console, "the cap notice shows", visible("#care-cap"))
			if got := value(t, console, "cap", textOf("#care-cap")); !strings.Contains(got, w.past) {
				t.Fatalf("cap notice reads %q", got)
			}
			browse(t, console, "one key press takes the break", chromedp.Focus(chromedp.CSS("#care-take-break")),
				chromedp.KeyEvent("\r"),
				chromedp.WaitNotVisible(chromedp.CSS("#care-suggestion")),
				chromedp.Poll[chromedp.Void](`document.getElementById('presence').value === 'break'`, chromedp.WithPollingTimeout(10*time.Second)))

			browse(t, super, "supervisor signs in and sees the counsellor past the cap", append(signInPage("/supervisor", "s-"+lang, spass),
				visible("#team-rows .care-badge.care-past"))...)
			if got := value(t, super, "badge", textOf("#team-rows .care-badge")); !strings.Contains(got, w.badge) {
				t.Fatalf("badge reads %q", got)
			}

			browse(t, console, "counsellor asks for a debrief from the care panel", click("#care-debrief"),
				chromedp.Poll[chromedp.Void](`document.activeElement && document.activeElement.id === 'debrief-note'`, chromedp.WithPollingTimeout(5*time.Second)),
				typeInto("#debrief-note", "Me gustaría hablarlo"), click("#debrief-submit"), visible("#debrief-status li"))
			// The automatic escalation of the risky phrase is listed too: find the debrief among them.
			debriefItem := `Array.from(document.querySelectorAll('#esc-list li')).find((li) => {
				const t = li.querySelector('.esc-title'); return t && t.textContent.includes(` + strconv.Quote(w.debrief) + `); })`
			browse(t, super, "the debrief reaches the supervisor",
				chromedp.Poll[chromedp.Void]("!!"+debriefItem, chromedp.WithPollingTimeout(10*time.Second)))
			browse(t, super, "the supervisor picks it up",
				chromedp.Evaluate[chromedp.Void](debriefItem+".querySelector('button.esc-ack').click()"),
				chromedp.Poll[chromedp.Void](debriefItem+".classList.contains('esc-acknowledged')", chromedp.WithPollingTimeout(10*time.Second)))
			browse(t, console, "the counsellor sees who picked it up", visible("#debrief-status li.esc-acknowledged"))
			if got := value(t, console, "status line", textOf("#debrief-status li")); !strings.Contains(got, "Sam "+lang) || !strings.Contains(got, w.ack) {
				t.Fatalf("status line reads %q", got)
			}
		})
	}
}
