package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// The report pages draw the escalations section in both languages: the
// admin's with this month's figures (ten self-harm escalations acknowledged
// in time, one asking for advice suppressed), the public one with last
// month's.
func TestBrowserReportShowsEscalations(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	reason := map[string]string{"es": "La persona podía hacerse daño", "en": "The person may harm themselves"}
	inTime := map[string]string{"es": "A tiempo", "en": "In time"}
	heading := map[string]string{"es": "Avisos a supervisión, por motivo", "en": "Escalations to a supervisor, by reason"}
	for lang, store := range map[string]string{"es": "memory", "en": "postgres"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_PUBLIC_REPORT": "true"}})
			ctx := slowCtx(t) // forty requests before the browser, on a busy machine
			counselor, ctoken := mustCounselor(t, ctx, srv, "alex", 12)
			_, stoken := staffMember(t, ctx, srv, "sam", "Sam", chat.RoleSupervisor)
			for i := 0; i < 10; i++ {
				s := mustSeeker(t, ctx, srv)
				accept(t, ctx, counselor, s.started.ConversationID)
				r := raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": s.started.ConversationID,
					"conversation_id": s.started.ConversationID, "reason": "self_harm", "urgency": "now", "note": "nota"}, 201)
				escalationAction(t, ctx, srv, stoken, r.Escalation.ID, "acknowledge", map[string]any{})
				if i == 0 {
					raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": "advice", "conversation_id": s.started.ConversationID,
						"reason": "need_advice", "urgency": "soon", "note": "?"}, 201)
				}
			}
			password := srv.MustAccount(t, "root", "Root", chat.RoleAdmin, 1)
			page := tab(t, mustBrowser(t))
			browse(t, page, "admin opens this month's report",
				chromedp.Navigate(srv.URL+"/admin"),
				visible("#login"),
				chooseLanguage(lang),
				typeInto("#username", "root"),
				typeInto("#password", password),
				click("#login-submit"),
				visible(`.tab[data-panel="report-panel"]`),
				click(`.tab[data-panel="report-panel"]`),
				chromedp.SetValue(chromedp.CSS("#report-month"), time.Now().UTC().Format("2006-01")),
				click("#report-show"),
				// The panel first shows last month's: wait for this month's.
				chromedp.Poll[chromedp.Void](`((document.querySelector('#report .report-period') || {}).textContent || '').includes('`+time.Now().UTC().Format("2006-01")+`')`,
					chromedp.WithPollingTimeout(10*time.Second)),
				visible(`#report [data-table="escalations.by_reason"]`))
			rows := value(t, page, "reason rows", chromedp.Evaluate[[]string](
				`[...document.querySelectorAll('#report [data-table="escalations.by_reason"] tbody tr')].map(r => r.innerText.replace(/\s+/g, ' ').trim())`))
			joined := strings.Join(rows, "\n")
			if !strings.Contains(joined, reason[lang]+" 10") || !strings.Contains(joined, "*") {
				t.Errorf("escalations by reason in %s:\n%s", lang, joined)
			}
			deadline := value(t, page, "deadline", textOf(`#report [data-table="escalations.deadline"] tbody`))
			if !strings.Contains(deadline, inTime[lang]) {
				t.Errorf("the deadline table in %s: %q", lang, deadline)
			}
			section := value(t, page, "section", textOf(`#report [data-section="escalations"]`))
			if !strings.Contains(section, heading[lang]) || strings.Contains(section, "report.") || strings.Contains(section, "self_harm") {
				t.Errorf("the escalations section in %s shows untranslated keys or values:\n%s", lang, section)
			}

			public := tab(t, mustBrowser(t))
			// The page draws in the browser's language first and again in the chosen one.
			browse(t, public, "anyone opens last month's public report",
				chromedp.Navigate(srv.URL+"/report"),
				visible("#lang-switch"),
				chooseLanguage(lang),
				chromedp.Poll[chromedp.Void](`((document.querySelector('#report [data-section="escalations"]') || {}).textContent || '').includes('`+heading[lang]+`')`,
					chromedp.WithPollingTimeout(10*time.Second)))
			if got := value(t, public, "public section", textOf(`#report [data-section="escalations"]`)); !strings.Contains(got, reason[lang]) {
				t.Errorf("the public escalations section in %s:\n%s", lang, got)
			}
		})
	}
}
