package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
	"helpline/counselors/feedback"
)

// After ending their conversation the seeker is offered the three optional
// questions in their language, answers them, and the answers are stored
// anonymously, once.
func TestBrowserSeekerFeedback(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	heading := map[string]string{"es": "Antes de irte", "en": "Before you go"}
	sent := map[string]string{"es": "Gracias", "en": "Thank you"}
	for lang, store := range map[string]string{"es": "memory", "en": "postgres"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			seeker := tab(t, mustBrowser(t))
			browse(t, seeker, "seeker starts a conversation and ends it",
				chromedp.Navigate(srv.URL+"/"),
				visible("#intro"),
				chooseLanguage(lang),
				click("#start-prechat"),
				visible("#prechat"),
				click("#start-chat"),
				visible("#chat"),
				visible("#end-chat"),
				click("#end-chat"),
				visible("#end-confirm-yes"),
				click("#end-confirm-yes"),
				visible("#feedback"))
			if got := value(t, seeker, "feedback heading", textOf("#feedback-heading")); !strings.Contains(got, heading[lang]) {
				t.Fatalf("feedback heading in %s: %q", lang, got)
			}
			browse(t, seeker, "seeker answers",
				click(`#feedback input[name="helpful"][value="4"]`),
				click(`#feedback input[name="feeling"][value="5"]`),
				typeInto("#feedback-comment", "Me ha ayudado"),
				click("#feedback-send"),
				visible(`#feedback-status[data-i18n="feedback.sent"]`))
			if got := value(t, seeker, "thanks", textOf("#feedback-status")); !strings.Contains(got, sent[lang]) {
				t.Fatalf("after sending: %q", got)
			}
			week := feedback.Week(time.Now())
			ctx := context.Background()
			counts, err := srv.Feedback.Counts(ctx, week, week)
			if err != nil || len(counts) != 2 {
				t.Fatalf("stored scores %+v, %v; want helpful 4 and feeling 5", counts, err)
			}
			comments, err := srv.Feedback.Comments(ctx, week, week)
			if err != nil || len(comments) != 1 || comments[0].Text != "Me ha ayudado" {
				t.Fatalf("stored comments %+v, %v", comments, err)
			}
		})
	}
}

// An admin signs in to /admin, sees and creates accounts, changes a role,
// finds the change in the audit log, and reads the report, in both
// languages; a counsellor signing in there is sent to the console.
func TestBrowserAdminAccountsAuditAndReport(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "postgres")
	adminPassword := srv.MustAccount(t, "root", "Root", chat.RoleAdmin, 1)
	srv.MustAccount(t, "marta", "Marta", chat.RoleCounselor, 2)
	for i := 0; i < 30; i++ { // contacts for the report
		startConversation(t, context.Background(), srv)
	}
	page := tab(t, mustBrowser(t))
	browse(t, page, "admin signs in",
		chromedp.Navigate(srv.URL+"/admin"),
		visible("#login"),
		chooseLanguage("es"),
		typeInto("#username", "root"),
		typeInto("#password", adminPassword),
		click("#login-submit"),
		visible(`#accounts tr[data-account="marta"]`))
	if got := value(t, page, "tab", textOf(`.tab[data-panel="accounts-panel"]`)); got != "Cuentas" {
		t.Fatalf("accounts tab in Spanish: %q", got)
	}
	browse(t, page, "admin creates an account and makes it a supervisor",
		typeInto("#add-username", "lucia"),
		typeInto("#add-name", "Lucía"),
		typeInto("#add-password", "a long enough passphrase"),
		click("#add-submit"),
		visible(`#accounts tr[data-account="lucia"] button`),
		click(`#accounts tr[data-account="lucia"] button`),
		visible("#account-edit"),
		chromedp.SetValue(chromedp.CSS("#edit-role"), "supervisor"),
		click("#edit-save"),
		visible(`#admin-status[data-i18n="admin.saved"]`))
	if got := value(t, page, "role", textOf(`#accounts tr[data-account="lucia"] td:nth-child(3)`)); got != "Supervisión" {
		t.Fatalf("lucia's role: %q", got)
	}
	browse(t, page, "admin filters the audit log",
		click(`.tab[data-panel="audit-panel"]`),
		visible("#audit-filter"),
		typeInto("#audit-action", "account_*"),
		click("#audit-search"),
		// Until the filtered answer is drawn: rows, every one an account_* action.
		uiWait(`(() => { const rows = [...document.querySelectorAll('#audit-entries tr td:nth-child(3)')];
			return rows.length > 0 && rows.every((td) => td.textContent.startsWith('account_')); })()`))
	rows := value(t, page, "audit rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#audit-entries tr')].map(r => r.textContent)`))
	joined := strings.Join(rows, "\n")
	if !strings.Contains(joined, "role=supervisor") || strings.Contains(joined, "sign_in") {
		t.Fatalf("audit rows filtered by account_*:\n%s", joined)
	}
	now := time.Now().UTC()
	browse(t, page, "admin reads this month's report in English",
		chooseLanguage("en"),
		click(`.tab[data-panel="report-panel"]`),
		chromedp.SetValue(chromedp.CSS("#report-month"), now.Format("2006-01")),
		click("#report-show"),
		visible(`#report [data-table="contacts.by_audience"]`),
		visible("#report svg.report-chart rect"))
	if got := value(t, page, "report heading", textOf("#report-heading")); got != "Transparency report" {
		t.Fatalf("report heading in English: %q", got)
	}
	total := value(t, page, "contacts total", textOf(`#report [data-table="contacts.by_month"] tr.report-total td:last-child`))
	if total != "30" {
		t.Fatalf("30 contacts this month are published as %q", total)
	}

	week := feedback.Week(now)
	browse(t, page, "admin reads the week's feedback comments (none)",
		chromedp.SetValue(chromedp.CSS("#comments-from"), week),
		chromedp.SetValue(chromedp.CSS("#comments-to"), week),
		click("#comments-show"),
		visible("#comments-empty"))

	// In the console the admin sees the queue but no Accept buttons, and the way back here.
	browse(t, page, "admin opens the console",
		chromedp.Navigate(srv.URL+"/console"),
		visible("#queue li.queue-item"),
		visible("#admin-link"))
	if n := value(t, page, "accept buttons", chromedp.Evaluate[int](`document.querySelectorAll('button.accept').length`)); n != 0 {
		t.Fatalf("the admin sees %d Accept buttons", n)
	}

	other := tab(t, mustBrowser(t))
	marta, _ := srv.Staff.Account(context.Background(), "marta")
	srv.Staff.ResetPassword(context.Background(), marta.ID, "marta's new passphrase", 0)
	browse(t, other, "a counsellor on /admin is sent to the console",
		chromedp.Navigate(srv.URL+"/admin"),
		visible("#login"),
		typeInto("#username", "marta"),
		typeInto("#password", "marta's new passphrase"),
		click("#login-submit"),
		visible("#not-admin"))
}
