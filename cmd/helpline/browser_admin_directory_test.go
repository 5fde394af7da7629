package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// An admin imports the fictional sample directory from /admin, sees each
// service with when it was last verified, in Spanish and then English, and
// retires one, and configures the partner of a service taking warm referrals.
func TestBrowserAdminImportsTheSampleDirectory(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory")
	password := srv.MustAccount(t, "root", "Root", chat.RoleAdmin, 1)
	browser := mustBrowser(t)
	page := tab(t, browser)
	browse(t, page, "admin signs in and imports the sample",
		chromedp.Navigate(srv.URL+"/admin"), visible("#login"), chooseLanguage("es"),
		typeInto("#username", "root"), typeInto("#password", password), click("#login-submit"),
		visible("#workspace"), click(`.admin-tabs .tab[data-panel="directory-panel"]`),
		visible("#directory-panel"), click("#directory-sample"),
		visible(`#directory-rows tr[data-service-id="sample-es-md-therapy"]`))
	headings := map[string]string{"es": "Directorio de derivación", "en": "Referral directory"}
	for _, lang := range []string{"es", "en"} {
		// The switch loads the language's table first: wait for it to show.
		browse(t, page, "language "+lang, chooseLanguage(lang), uiTextIs("#directory-heading", headings[lang]))
	}
	rows := value(t, page, "rows", chromedp.Evaluate[int](`document.querySelectorAll('#directory-rows tr').length`))
	row := value(t, page, "row", textOf(`#directory-rows tr[data-service-id="sample-es-md-therapy"]`))
	if rows != 9 || !strings.Contains(row, "2026-") {
		t.Fatalf("%d rows; the Madrid row reads %q (want its last verified date)", rows, row)
	}
	browse(t, page, "admin retires a service",
		click(`#directory-rows tr[data-service-id="sample-gb-professionals"] button.retire`),
		visible(`#directory-rows tr.retired[data-service-id="sample-gb-professionals"]`))
	if s, err := srv.Directory.Store().Service(testCtx(t), "sample-gb-professionals"); err != nil || !s.Deleted() {
		t.Fatalf("retired in the page, not in the store: %+v %v", s, err)
	}
	browse(t, page, "admin configures the partner of a service that takes warm referrals",
		click(`#directory-rows tr[data-service-id="sample-es-md-therapy"] button.edit`),
		visible("#partner-form"),
		typeInto("#pf-name", "Socio ficticio"), typeInto("#pf-url", "https://partner.example.org/in"),
		click("#pf-generate"), click("#pf-save"),
		chromedp.WaitVisible(`#partner-state[data-i18n="directory.partner_on"]`))
	if p, err := srv.Outbox.Partner(testCtx(t), "sample-es-md-therapy"); err != nil || !p.Enabled || len(p.Secrets) != 1 ||
		!strings.HasPrefix(p.Secrets[0], "whsec_") || p.URL != "https://partner.example.org/in" {
		t.Fatalf("partner stored: %+v %v", p, err)
	}
}
