package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// TestBrowserEscalationRoundTrip: in each language, a counsellor raises an
// escalation from the console; the supervisor page shows it first, with the
// alert; the supervisor acknowledges and the counsellor's status line says
// who; the supervisor records the outcome. Then a debrief request. Spanish
// runs on the memory store, English on PostgreSQL.
func TestBrowserEscalationRoundTrip(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	browser := mustBrowser(t)
	want := map[string]struct{ reason, ack, resolved, debrief string }{
		"es": {"Un niño o niña puede estar en riesgo", "lo ha atendido", "ha registrado el resultado", "Hablar después"},
		"en": {"A child may be at risk", "picked it up", "recorded the outcome", "Debrief"},
	}
	for lang, store := range map[string]string{"es": "memory", "en": "postgres"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			w := want[lang]
			ctx := testCtx(t)
			cpass := srv.MustAccount(t, "c-"+lang, "Alex "+lang, chat.RoleCounselor, 3)
			spass := srv.MustAccount(t, "s-"+lang, "Sam "+lang, chat.RoleSupervisor, 3)
			mustSeeker(t, ctx, srv) // waits for the counsellor
			console, super := tab(t, browser), tab(t, browser)
			listenForPageErrors(t, console, "console")
			listenForPageErrors(t, super, "supervisor page")
			signInPage := func(page, user, password string) []chromedp.Action[chromedp.Void] {
				return []chromedp.Action[chromedp.Void]{chromedp.Navigate(srv.URL + page), visible("#login"), chooseLanguage(lang),
					typeInto("#username", user), typeInto("#password", password), click("#login-submit"), visible("#workspace")}
			}
			browse(t, console, "counsellor signs in and accepts", append(signInPage("/console", "c-"+lang, cpass),
				visible("#queue button.accept"), click("#queue button.accept"), visible("#conversation"))...)
			browse(t, super, "supervisor signs in on the supervisor page", signInPage("/supervisor", "s-"+lang, spass)...)
			browse(t, super, "supervisor turns alerts on", visible("#esc-empty"), click("#esc-alerts-enable"))

			browse(t, console, "counsellor raises an escalation",
				click("#c-esc-open"), visible("#c-esc-form"),
				chromedp.SetValue(chromedp.CSS("#c-esc-reason"), "child_at_risk"),
				click("#c-esc-urgency-now"),
				typeInto("#c-esc-note", "Habla de un niño en su casa"),
				click("#c-esc-submit"),
				visible("#c-esc-status li"))
			browse(t, super, "the supervisor page shows it, first, with the alert", visible("#esc-list li.esc-open"))
			if got := value(t, super, "alert", textOf("#esc-alert")); !strings.Contains(got, w.reason) || !strings.Contains(got, "Alex "+lang) {
				t.Fatalf("alert reads %q", got)
			}
			if title := value(t, super, "title", chromedp.Evaluate[string](`document.title`)); !strings.HasPrefix(title, "(1)") {
				t.Fatalf("page title %q", title)
			}
			if got := value(t, super, "item", textOf("#esc-list li .esc-timing")); !strings.Contains(got, "1:") && !strings.Contains(got, "0:") {
				t.Fatalf("no countdown: %q", got)
			}
			browse(t, super, "supervisor reads the note and acknowledges",
				chromedp.Click(chromedp.CSS("#esc-list li .actions button.secondary")),
				visible("#esc-list li .esc-notes li"),
				click("#esc-list li button.esc-ack"),
				visible("#esc-list li.esc-acknowledged"))
			if got := value(t, super, "note", textOf("#esc-list li .esc-notes li")); !strings.Contains(got, "niño en su casa") {
				t.Fatalf("note reads %q", got)
			}
			browse(t, console, "the counsellor sees who picked it up", visible("#c-esc-status li.esc-acknowledged"))
			if got := value(t, console, "status line", textOf("#c-esc-status li")); !strings.Contains(got, "Sam "+lang) || !strings.Contains(got, w.ack) {
				t.Fatalf("status line reads %q", got)
			}
			browse(t, super, "supervisor records the outcome",
				chromedp.SetValue(chromedp.CSS("#esc-list li select"), "safety_plan_agreed"),
				typeInto("#esc-list li textarea", "Plan de seguridad acordado"),
				click("#esc-list li button.esc-resolve-submit"),
				visible("#esc-empty"))
			browse(t, console, "the counsellor sees the outcome", visible("#c-esc-status li.esc-resolved"))
			if got := value(t, console, "status line", textOf("#c-esc-status li")); !strings.Contains(got, w.resolved) {
				t.Fatalf("status line reads %q", got)
			}

			browse(t, console, "counsellor requests a debrief", click("#debrief-submit"), visible("#debrief-status li"))
			browse(t, super, "the debrief reaches the supervisor", visible("#esc-list li.esc-open"))
			if got := value(t, super, "debrief", textOf("#esc-list li .esc-title")); !strings.Contains(got, w.debrief) {
				t.Fatalf("debrief reads %q", got)
			}
		})
	}
}
