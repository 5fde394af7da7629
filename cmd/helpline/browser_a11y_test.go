package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// TestBrowserAccessibility runs axe-core (testdata/axe) over every state of
// every page, in Spanish and in English, in one headless Chromium: the
// seeker's page with JavaScript (introduction, closed for want of a
// counsellor and out of hours, pre-chat questions, waiting, chat, the
// identifying-details warning, the end dialog, ended with the feedback
// questions, the delete dialog), the pages without JavaScript
// (the same journey), the console (signed out, with an offer, with a
// conversation open, raising an escalation, after the end), the supervisor
// page (an escalation and live conversations) and each panel of the admin
// page. A violation of impact critical, serious or moderate fails the test
// with the rule, the elements and the rule's help page.
func TestBrowserAccessibility(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	began := time.Now()
	browser := mustBrowser(t)
	// The walks are independent (a server and tabs each): side by side in
	// the one browser, the pages' waits overlap. The longest starts first.
	walks := []struct {
		name string
		walk func(*testing.T, context.Context)
	}{{"journey", a11yJourney}, {"admin", a11yAdmin}, {"closed", a11yClosed}, {"a broken page fails", a11yBrokenPageFails}}
	t.Run("pages", func(t *testing.T) {
		for _, w := range walks {
			t.Run(w.name, func(t *testing.T) { t.Parallel(); w.walk(t, browser) })
		}
	})
	t.Logf("the walks took %s", time.Since(began).Round(100*time.Millisecond))
}

// a11yBrokenPageFails: the check finds what a page gets wrong, in frames
// too, under a CSP that allows no script at all, and says where and how to
// fix it.
func a11yBrokenPageFails(t *testing.T, browser context.Context) {
	files := http.FileServer(http.Dir("testdata/a11y"))
	fixture := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'none'")
		files.ServeHTTP(w, r)
	}))
	defer fixture.Close()
	p := newA11yPage(t, browser, false)
	p.do("the broken page loads", chromedp.Navigate(fixture.URL+"/broken.html"),
		a11yWait(`document.querySelector('iframe').contentDocument.readyState === 'complete'`))
	violations, err := axeViolations(p.ctx, p.frames)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]axeViolation{}
	for _, v := range violations {
		found[v.ID] = v
	}
	for _, id := range []string{"html-has-lang", "image-alt", "label", "color-contrast", "duplicate-id-aria", "button-name"} {
		if _, ok := found[id]; !ok {
			t.Errorf("the broken page passes rule %s: the check cannot see it (found %v)", id, violations)
		}
	}
	// The unlabelled field in the frame is found, and named through the frame.
	if v, ok := found["label"]; !ok || !strings.Contains(a11yReport("x", []axeViolation{v}), `["iframe","#in-frame"]`) {
		t.Errorf("the unlabelled field inside the frame is not reported through the frame: %v", v)
	}
	report := a11yReport("broken page", violations)
	for _, want := range []string{"image-alt (critical)", `["#no-alt"]`, "https://dequeuniversity.com/rules/axe/4.14/image-alt"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report does not say %q:\n%s", want, report)
		}
	}
}

// a11yClosed: the seeker's alternatives when no counsellor is on shift and
// when the service is out of hours, with and without JavaScript.
func a11yClosed(t *testing.T, browser context.Context) {
	alternatives := filepath.Join(t.TempDir(), "alternatives.json")
	if err := os.WriteFile(alternatives, []byte(`[{"name": {"es": "Línea de crisis 24 h", "en": "24-hour crisis line"},
		"description": {"es": "Si estás en crisis ahora.", "en": "If you are in crisis now."}, "phone": "+34 900 000 000", "hours": {"es": "24 h", "en": "24 h"}},
		{"name": {"es": "Programa de autoayuda", "en": "Self-help programme"}, "url": "https://example.org/self-help"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	noOne := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_ROUTING": "offer",
		"HELPLINE_REQUIRE_COUNSELOR": "true", "HELPLINE_ALTERNATIVES_FILE": alternatives}})
	seeker := newA11yPage(t, browser, false)
	seeker.do("no counsellor on shift: Continue leads to the alternatives",
		chromedp.Navigate(noOne.URL+"/"), visible("#intro"), click("#start-prechat"), visible("#closed"),
		visible("#closed-alternatives"), a11yWait(`document.querySelectorAll('#closed-selfhelp-articles details').length > 0`))
	seeker.both("seeker closed, nobody on shift", visible("#closed-alternatives"))

	noJS := newA11yPage(t, browser, true)
	noJS.do("without JavaScript, the same", chromedp.Navigate(noOne.URL+"/nojs/start"), visible("#closed-reason"))
	noJS.both("no-JS closed, nobody on shift", visible("#closed-reason"))

	now := time.Now().UTC()
	holidays := now.Format(time.DateOnly) + "," + now.Add(24*time.Hour).Format(time.DateOnly)
	holiday := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_HOLIDAYS": holidays,
		"HELPLINE_ALTERNATIVES_FILE": alternatives}})
	seeker.do("out of hours: Continue leads to the next opening",
		chromedp.Navigate(holiday.URL+"/"), visible("#intro"), click("#start-prechat"), visible("#closed"), visible("#closed-next"))
	seeker.both("seeker closed, out of hours", visible("#closed-next"))
	noJS.do("without JavaScript, the same", chromedp.Navigate(holiday.URL+"/nojs/start"), visible("#closed-next"))
	noJS.both("no-JS closed, out of hours", visible("#closed-next"))
}

// a11yJourney walks one conversation with JavaScript and one without, with
// a counsellor on the console and a supervisor on the supervisor page,
// checking each page at each step.
func a11yJourney(t *testing.T, browser context.Context) {
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{
		"HELPLINE_ROUTING": "offer", "HELPLINE_OFFER_TIMEOUT": "5m", "HELPLINE_NOJS_REFRESH": "60s"}})
	cpass := srv.MustAccount(t, "marta", "Marta", chat.RoleCounselor, 3)
	spass := srv.MustAccount(t, "sam", "Sam", chat.RoleSupervisor, 3)

	console := newA11yPage(t, browser, false)
	console.do("the console, signed out", chromedp.Navigate(srv.URL+"/console"), visible("#login"))
	console.both("console signed out")
	console.do("the counsellor signs in", typeInto("#username", "marta"), typeInto("#password", cpass), click("#login-submit"),
		visible("#workspace"), uiWait(`document.getElementById('connection').dataset.state === 'connected'`))

	seeker := newA11yPage(t, browser, false)
	seeker.do("the introduction", chromedp.Navigate(srv.URL+"/"), visible("#intro"))
	seeker.both("seeker intro")
	seeker.do("the pre-chat questions", click("#start-prechat"), visible("#prechat"))
	seeker.both("seeker pre-chat")
	seeker.do("the seeker starts and writes while waiting",
		click(`input[name="audience"][value="self"]`), typeInto("#region", "Quito"), click("#start-chat"),
		visible("#chat"), visible("#queue-position"), visible("#waiting-help"),
		typeInto("#compose", "Hola, necesito hablar con alguien."), click("#send"),
		visible(`#messages li.from-seeker[data-state="delivered"]`))
	seeker.both("seeker waiting", visible("#queue-position"))

	console.do("the offer", visible("#offers-panel"), visible("#offers button.accept"))
	console.both("console with an offer", visible("#offers button.accept"))
	console.do("the counsellor accepts and replies", click("#offers button.accept"), visible("#conversation"),
		visible("#c-messages li.from-seeker"), typeInto("#c-compose", "Hola, aquí estoy. Cuéntame."), click("#c-send"),
		visible(`#c-messages li.from-counselor[data-state="delivered"]`))
	console.both("console with a conversation open", visible("#c-messages li.from-counselor"))
	seeker.do("the seeker reads the reply", visible("#messages li.from-counselor"))
	seeker.both("seeker chat", visible("#messages li.from-counselor"))
	seeker.do("the seeker writes an email address", typeInto("#compose", "Escríbeme a ana.lopez@example.org"), click("#send"),
		visible("#identify-warning"))
	if got := value(t, seeker.ctx, "focus", chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ''`)); got != "identify-edit" {
		t.Errorf("the identifying warning opened with focus on %q, want identify-edit (the harmless answer)", got)
	}
	seeker.both("seeker identifying warning", visible("#identify-warning"))
	seeker.do("and edits it out", click("#identify-edit"), chromedp.WaitNotVisible(chromedp.CSS("#identify-warning")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('compose').value = ''`))
	seeker.do("the seeker opens the end dialog", click("#end-chat"), visible("#end-confirm"))
	seeker.both("seeker end dialog", visible("#end-confirm"))
	seeker.do("and says no", click("#end-confirm-no"), chromedp.WaitNotVisible(chromedp.CSS("#end-confirm")))

	console.do("the counsellor opens the escalation form", click("#c-esc-open"), visible("#c-esc-form"))
	console.both("console escalation form", visible("#c-esc-form"))
	supervisor := newA11yPage(t, browser, false)
	supervisor.do("the supervisor page, signed out", chromedp.Navigate(srv.URL+"/supervisor"), visible("#login"))
	supervisor.both("supervisor signed out")
	supervisor.do("the supervisor signs in", typeInto("#username", "sam"), typeInto("#password", spass), click("#login-submit"),
		visible("#workspace"), visible("#live-rows tr"))
	console.do("the counsellor raises an escalation", chromedp.SetValue(chromedp.CSS("#c-esc-reason"), "child_at_risk"),
		typeInto("#c-esc-note", "Habla de un niño en su casa"), click("#c-esc-submit"), visible("#c-esc-status li"))
	supervisor.do("the escalation arrives", visible("#esc-list li.esc-open"), visible("#live-rows tr"))
	supervisor.both("supervisor with an escalation and a live conversation", visible("#esc-list li.esc-open"))

	seeker.do("the seeker ends the conversation", click("#end-chat"), visible("#end-confirm"), click("#end-confirm-yes"),
		visible("#closing"), visible("#feedback"))
	seeker.both("seeker ended, with the feedback questions", visible("#feedback"))
	a11yDeleteDialog(t, seeker)
	console.do("the console after the end", visible("#wrapup"))
	console.both("console after the end", visible("#wrapup"))

	a11yNoJSJourney(t, browser, srv, console)
}

// a11yDeleteDialog: the delete dialog, like the end dialog
// (browser_keyboard_test.go), opens on "No", which comes first, and Escape
// closes it with focus back on its button, without leaving the page.
func a11yDeleteDialog(t *testing.T, seeker *a11yPage) {
	t.Helper()
	active := func() string {
		return value(t, seeker.ctx, "focus", chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ''`))
	}
	seeker.do("the seeker opens the delete dialog", click("#delete-chat"), visible("#delete-confirm"))
	if got := active(); got != "delete-confirm-no" {
		t.Errorf("the delete dialog opened with focus on %q, want delete-confirm-no", got)
	}
	order := value(t, seeker.ctx, "order", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#delete-confirm button')).map((b) => b.id).join(',')`))
	if !strings.HasPrefix(order, "delete-confirm-no,") {
		t.Errorf("the delete dialog's buttons are %s: No must come first", order)
	}
	seeker.both("seeker delete dialog", visible("#delete-confirm"))
	seeker.do("Escape closes it", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("#delete-confirm")))
	if got := active(); got != "delete-chat" {
		t.Errorf("after Escape focus is on %q, want the Delete button", got)
	}
	if n := value(t, seeker.ctx, "closing", uiCount("#closing:not([hidden])")); n != 1 {
		t.Error("the Escape that closed the delete dialog left the closing screen")
	}
}

// a11yNoJSJourney: the same conversation without JavaScript, the
// counsellor answering on the console.
func a11yNoJSJourney(t *testing.T, browser context.Context, srv *servertest.Server, console *a11yPage) {
	seeker := newA11yPage(t, browser, true)
	seeker.do("the introduction without JavaScript", chromedp.Navigate(srv.URL+"/"), visible("#intro-heading"))
	seeker.both("no-JS intro", visible("#intro-heading"))
	seeker.do("the pre-chat questions", click("#start-prechat"), visible("#prechat-form"))
	seeker.both("no-JS pre-chat", visible("#prechat-form"))
	frameShows := func(sel string) chromedp.Action[chromedp.Void] {
		return a11yWait(`(() => { const d = document.getElementById('log-frame').contentDocument;
			return !!d && d.readyState === 'complete' && !!d.querySelector(` + uiJS(sel) + `); })()`)
	}
	seeker.do("the seeker starts and writes", click("#audience-self"), typeInto("#region", "Quito"), click("#start-chat"),
		visible("#compose"), typeInto("#compose", "Hola, ¿hay alguien?"), click("#send"), visible("#compose"),
		frameShows("#position-place"), frameShows("#messages li.from-seeker"))
	a11yNoJSLive(t, seeker, "no-JS waiting", frameShows("#position-place"))

	console.do("the counsellor accepts the offer and replies", visible("#offers button.accept"), click("#offers button.accept"),
		visible(`#c-messages li.from-seeker`), typeInto("#c-compose", "Aquí estoy."), click("#c-send"),
		visible(`#c-messages li.from-counselor[data-state="delivered"]`))
	seeker.do("the seeker's page shows the reply", chromedp.Navigate(srv.URL+"/nojs/chat"), visible("#compose"),
		frameShows("#messages li.from-counselor"))
	a11yNoJSLive(t, seeker, "no-JS chat", frameShows("#messages li.from-counselor"))
	seeker.do("the seeker asks to end", click("#end-chat"), visible("#confirm-yes"))
	seeker.both("no-JS end confirmation", visible("#confirm-yes"))
	seeker.do("and ends", click("#confirm-yes"), visible("#closing"))
	seeker.both("no-JS ended", visible("#closing"))
}

// a11yNoJSLive checks the page without JavaScript while its frame reloads
// itself, then with that reload stopped. A timed reload is what axe's
// meta-refresh rule (critical) fails wherever it is; the page's remedy is
// its own "Stop the automatic updates" link, placed before the frame
// (web/nojs/updates.go), which axe cannot see. So with the reload on, that
// one rule is allowed inside the frame, and only while the link is there;
// with the reload stopped, nothing is.
func a11yNoJSLive(t *testing.T, seeker *a11yPage, state string, ready chromedp.Action[chromedp.Void]) {
	t.Helper()
	frameRefreshes := `!!document.getElementById('log-frame').contentDocument.querySelector('meta[http-equiv="refresh"]')`
	stop := `#updates-toggle[href$="updates=off"]`
	if n := value(t, seeker.ctx, "the stop link", chromedp.Evaluate[int](`document.querySelectorAll(`+uiJS(stop)+`).length`)); n != 1 {
		t.Fatalf("%s: the frame reloads itself but the page offers no way to stop it (%s)", state, stop)
	}
	seeker.allowed = []a11yAllowance{{Rule: "meta-refresh", Within: "#log-frame",
		Why: "the page's own link before the frame stops the reload (checked below)"}}
	seeker.both(state, visible("#compose"), ready)
	seeker.allowed = nil
	seeker.do(state+": the seeker stops the automatic updates", click(stop), visible(`#updates-toggle[href$="updates=on"]`), ready,
		a11yWait(`!(`+frameRefreshes+`)`))
	seeker.both(state+", automatic updates stopped", visible(`#updates-toggle[href$="updates=on"]`), ready)
	seeker.do(state+": and turns them back on", click(`#updates-toggle[href$="updates=on"]`), visible(stop), ready,
		a11yWait(frameRefreshes))
}

// a11yAdmin: the admin page signed out and each of its panels.
func a11yAdmin(t *testing.T, browser context.Context) {
	srv := servertest.Start(t, "memory")
	password := srv.MustAccount(t, "ada", "Ada", chat.RoleAdmin, 1)
	admin := newA11yPage(t, browser, false)
	admin.do("the admin page, signed out", chromedp.Navigate(srv.URL+"/admin"), visible("#login"))
	admin.both("admin signed out")
	admin.do("the admin signs in", typeInto("#username", "ada"), typeInto("#password", password), click("#login-submit"),
		visible("#workspace"))
	panels := value(t, admin.ctx, "the panels", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.admin-tabs .tab')).map((b) => b.dataset.panel)`))
	if len(panels) < 4 {
		t.Fatalf("the admin page has panels %v, want at least accounts, audit, report and directory", panels)
	}
	// What each panel shows once its data is in (a panel added later is
	// checked as soon as it shows).
	loaded := map[string]string{
		"accounts-panel":  `document.querySelectorAll('#accounts tr').length > 0`,
		"audit-panel":     `document.querySelectorAll('#audit-entries tr').length > 0 || !document.getElementById('audit-empty').hidden`,
		"report-panel":    `document.getElementById('report').childElementCount > 0`,
		"directory-panel": `document.querySelectorAll('#directory-rows tr').length > 0`,
	}
	for _, panel := range panels {
		steps := []chromedp.Action[chromedp.Void]{click(`.admin-tabs .tab[data-panel="` + panel + `"]`), visible("#" + panel)}
		if panel == "directory-panel" { // with services in it
			steps = append(steps, click("#directory-sample"))
		}
		if expr, ok := loaded[panel]; ok {
			steps = append(steps, uiWait(expr))
		}
		admin.do("the admin opens "+panel, steps...)
		admin.both("admin "+panel, visible("#"+panel))
	}
}
