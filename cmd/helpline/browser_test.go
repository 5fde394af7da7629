package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// These tests walk the real pages in Debian's headless Chromium, driven from
// Go with chromedp, against the real server.

// mustBrowser gives the test a browser of its own (a separate browser
// context in the package's one headless Chromium, see browser_shared_test.go),
// or skips (fails, with HELPLINE_REQUIRE_BROWSER=1) when there is no Chromium.
func mustBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("HELPLINE_REQUIRE_BROWSER") == "1" {
			t.Fatal("HELPLINE_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)")
		}
		migrationstest.Skipped("browser", "chromium not found on PATH; install it (apt-get install chromium) to run them; HELPLINE_REQUIRE_BROWSER=1 makes this a failure")
		t.Skip("chromium not installed: skipping browser test")
	}
	return isolated(t, path)
}

// tab opens a tab with storage of its own, as a separate person's browser.
// Its time limit only stops a hung test: it covers the tab's whole life, and
// with browser tests side by side on a busy machine a long walk can need
// more than a minute.
func tab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return ctx
}

// browse runs steps in a tab, failing the test with the page's content.
func browse(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main') ? document.querySelector('main').outerHTML : ''`))
		t.Fatalf("%s: %v\npage: %.3000s", what, err, html)
	}
}

// value runs one action that returns a value.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

func typeInto(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), text)
}

func textOf(sel string) chromedp.Action[string] {
	return chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)
}

// chooseLanguage picks a language in the page's switcher, as a person
// would, and waits until the page has switched. The switcher is in the HTML
// from the start but gets its options (and its change handler) only once the
// page has loaded its configuration: a choice made before that is silently
// lost, so wait for the option first. The switch itself is asynchronous (the
// page fetches the language's texts, then translates and redraws): a step
// taken before it ends can click where a button was before the redraw, or
// start a conversation in the old language, even when the page was in that
// language already (choosing it again redraws too). The page saves the
// choice just before it translates, in the same task, so the saved choice
// (cleared first) and the page's lang attribute together say it is done.
func chooseLanguage(lang string) chromedp.Action[chromedp.Void] {
	saved := `localStorage.getItem('helpline.lang') === '"` + lang + `"'`
	return chromedp.Steps(
		chromedp.Poll[chromedp.Void](`!!document.querySelector('#lang-switch option[value="`+lang+`"]')`,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('lang-switch');
		localStorage.removeItem('helpline.lang');
		s.value = '`+lang+`'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`),
		chromedp.Poll[chromedp.Void](saved+` && document.documentElement.lang === '`+lang+`'`,
			chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
}

const countMessages = `document.querySelectorAll('#messages li.msg').length`

func TestBrowserFullConversationInBothLanguages(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	intro := map[string]string{"es": "Puedes hablar con nosotros", "en": "You can talk to us"}
	for lang, store := range map[string]string{"es": "memory", "en": "postgres"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			password := srv.MustAccount(t, "marta", "Marta", chat.RoleCounselor, 2)
			browser := mustBrowser(t)
			seeker, console := tab(t, browser), tab(t, browser)

			browse(t, seeker, "seeker reads the introduction",
				chromedp.Navigate(srv.URL+"/"),
				visible("#intro"),
				chooseLanguage(lang))
			if heading := value(t, seeker, "intro heading", textOf("#intro-heading")); !strings.Contains(heading, intro[lang]) {
				t.Fatalf("intro heading in %s = %q", lang, heading)
			}
			browse(t, seeker, "seeker answers the pre-chat questions and writes",
				click("#start-prechat"),
				visible("#prechat"),
				click(`input[name="audience"][value="self"]`),
				typeInto("#region", "Quito"),
				click("#start-chat"),
				visible("#chat"),
				typeInto("#compose", "Hola, necesito hablar con alguien."),
				click("#send"),
				visible(`#messages li.from-seeker[data-state="delivered"]`))

			browse(t, console, "counsellor signs in and accepts",
				chromedp.Navigate(srv.URL+"/console"),
				visible("#login"),
				chooseLanguage(lang),
				typeInto("#username", "marta"),
				typeInto("#password", password),
				click("#login-submit"),
				visible("#workspace"),
				visible("#queue button.accept"),
				click("#queue button.accept"),
				visible("#conversation"),
				visible("#c-messages li.from-seeker"))
			if got := value(t, console, "seeker's message", textOf("#c-messages li.from-seeker")); !strings.Contains(got, "necesito hablar") {
				t.Fatalf("counsellor sees %q", got)
			}
			browse(t, console, "counsellor replies",
				typeInto("#c-compose", "Hola, aquí estoy. Cuéntame."),
				click("#c-send"),
				visible(`#c-messages li.from-counselor[data-state="delivered"]`))
			browse(t, seeker, "seeker sees the reply", visible("#messages li.from-counselor"))
			if got := value(t, seeker, "reply", textOf("#messages li.from-counselor")); !strings.Contains(got, "aquí estoy") {
				t.Fatalf("seeker sees %q", got)
			}

			// A reload resumes the same conversation with nothing missing or doubled.
			before := value(t, seeker, "count", chromedp.Evaluate[int](countMessages))
			browse(t, seeker, "seeker reloads",
				chromedp.Reload(),
				visible("#messages li.from-counselor"),
				chromedp.Sleep(500*time.Millisecond))
			if after := value(t, seeker, "count", chromedp.Evaluate[int](countMessages)); before < 3 || after != before {
				t.Fatalf("messages before reload %d, after %d", before, after)
			}

			browse(t, console, "counsellor ends the conversation",
				click("#c-end"),
				visible("#c-end-yes"),
				click("#c-end-yes"))
			browse(t, seeker, "seeker sees the closing text", visible("#closing"))
			if closing := value(t, seeker, "closing", textOf("#closing-text")); closing == "" {
				t.Fatal("no closing text")
			}
		})
	}
}

func TestBrowserQuickExitLeavesNoTrace(t *testing.T) {
	t.Parallel()                            // browser tests run side by side: see browser_shared_test.go
	exitTo := servertest.Start(t, "memory") // a neutral page to land on
	exitURL := exitTo.URL + "/healthz"
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_EXIT_URL": exitURL}})
	browser := mustBrowser(t)
	seeker := tab(t, browser)
	browse(t, seeker, "seeker starts a conversation",
		chromedp.Navigate(srv.URL+"/"),
		visible("#intro"),
		click("#start-prechat"),
		visible("#prechat"),
		click("#start-chat"),
		visible("#chat"),
		typeInto("#compose", "me voy"),
		click("#send"),
		visible(`#messages li.from-seeker[data-state="delivered"]`))
	ctx := context.Background()
	if waiting, err := srv.Chat.WaitingCount(ctx); err != nil || waiting != 1 {
		t.Fatalf("waiting before quick exit = %d, %v", waiting, err)
	}
	browse(t, seeker, "seeker presses Escape twice",
		chromedp.KeyEvent(kb.Escape),
		chromedp.KeyEvent(kb.Escape))
	// The page leaves for the exit URL; asked while it navigates, the tab can
	// answer with the old page or not at all.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		location, err := chromedp.Run(seeker, chromedp.Location())
		if err == nil && location == exitURL {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after quick exit the page is %q (%v), want %q", location, err, exitURL)
		}
	}
	// The conversation ended as "left": it no longer waits.
	deadline := time.Now().Add(5 * time.Second)
	for {
		waiting, err := srv.Chat.WaitingCount(ctx)
		if err == nil && waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation still waiting after quick exit (%d, %v)", waiting, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Nothing of it is left in this browser for the site.
	browse(t, seeker, "back to the site", chromedp.Navigate(srv.URL+"/"), visible("#intro"))
	if stored := value(t, seeker, "storage", chromedp.Evaluate[int](`localStorage.length + sessionStorage.length`)); stored != 0 {
		t.Fatalf("%d items left in browser storage", stored)
	}
}
