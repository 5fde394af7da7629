package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// While the database is away the pages say, calmly, that they can't connect
// and will keep trying, and then do it by themselves: the seeker's chat
// starts and the counsellor is signed in once the database is back, without
// anyone pressing a button again.
func TestBrowserPagesKeepTryingWhileTheDatabaseIsAway(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	browser := mustBrowser(t)
	_, url := migrationstest.MustOpen(t)
	proxy, proxied := servertest.StartProxy(t, url)
	srv := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: proxied})
	password := srv.MustAccount(t, "ana", "Ana", chat.RoleCounselor, 3)

	seeker, es := tab(t, browser), uiTexts(t, srv, "es")
	uiBrowse(t, seeker, "seeker reaches the questions",
		chromedp.Navigate(srv.URL+"/"), visible("#intro"), chooseLanguage("es"),
		uiWait(`document.documentElement.lang === "es"`), click("#start-prechat"), visible("#prechat"))
	proxy.Cut()
	uiBrowse(t, seeker, "seeker starts while the database is away",
		click("#start-chat"), visible("#prechat-waiting"), uiTextIs("#prechat-waiting", uiTr(t, es, "prechat.retrying")))
	if shown := value(t, seeker, "error line", chromedp.Evaluate[bool](`!document.getElementById('prechat-error').hidden`)); shown {
		t.Error("the seeker page shows an error besides the calm notice")
	}

	counselor, en := tab(t, browser), uiTexts(t, srv, "en")
	uiBrowse(t, counselor, "counsellor signs in while the database is away",
		chromedp.Navigate(srv.URL+"/console"), visible("#login"), chooseLanguage("en"),
		uiWait(`document.documentElement.lang === "en"`),
		typeInto("#username", "ana"), typeInto("#password", password), click("#login-submit"),
		visible("#login-waiting"), uiTextIs("#login-waiting", uiTr(t, en, "console.login_retrying")))

	proxy.Restore()
	uiBrowse(t, seeker, "the seeker's chat starts by itself", visible("#chat"))
	uiBrowse(t, counselor, "the counsellor is signed in by itself", visible("#workspace"))
}
