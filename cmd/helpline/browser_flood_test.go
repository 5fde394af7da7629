package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/chat/flood"
	"helpline/cmd/internal/servertest"
)

// With the waiting step on, the page with JavaScript solves the challenge
// by itself and starts; the page without JavaScript says, calmly, that many
// people are trying to reach us, reloads itself until its ticket is mature,
// then asks the questions and starts.
func TestBrowserFloodWaitingStepWithAndWithoutJavaScript(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	heading := map[string]string{"es": "Ahora mismo muchas personas intentan contactar con nosotros", "en": "Many people are trying to reach us right now"}
	for lang, store := range map[string]string{"es": "memory", "en": "postgres"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_FLOOD_BITS": "12"}})
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			switchFlood(t, ctx, srv, "sara-"+lang, true)
			if a := startWith(t, ctx, srv, nil); a.Status != 429 {
				t.Fatalf("the waiting step is not on: %d", a.Status)
			}
			browser := mustBrowser(t)

			live := tab(t, browser)
			browse(t, live, "the page with JavaScript solves the waiting step and starts",
				chromedp.Navigate(srv.URL+"/"), visible("#intro"), chooseLanguage(lang),
				click("#start-prechat"), visible("#prechat"),
				// Note what the page says while it works (it may be brief).
				chromedp.Evaluate[chromedp.Void](`(() => { window.waitingWords = ''; new MutationObserver(() => {
					const n = document.getElementById('waiting-step'); if (n && !n.hidden && n.textContent) window.waitingWords = n.textContent; })
					.observe(document.body, {subtree: true, attributes: true, childList: true, characterData: true}); })()`),
				click("#start-chat"),
				visible("#chat"), visible("#compose"))
			if said := value(t, live, "waiting words", chromedp.Evaluate[string](`window.waitingWords`)); !strings.HasPrefix(said, heading[lang]) {
				t.Fatalf("while solving, the page said %q", said)
			}
			if n, err := srv.Chat.WaitingCount(ctx); err != nil || n != 1 {
				t.Fatalf("%d waiting after the live page started (%v)", n, err)
			}

			home := tab(t, browser)
			browse(t, home, "no scripts", scripts(false))
			nojs, closeTab := sameBrowserTab(t, home)
			defer closeTab()
			browse(t, nojs, "the page without JavaScript waits",
				chromedp.Navigate(srv.URL+"/nojs/start?lang="+lang), visible("#waiting-step"))
			if h := value(t, nojs, "heading", textOf("#waiting-step-heading")); h != heading[lang] {
				t.Fatalf("waiting heading in %s: %q", lang, h)
			}
			if n := value(t, nojs, "form", chromedp.Evaluate[int](`document.querySelectorAll('#prechat-form').length`)); n != 0 {
				t.Fatal("the questions show before the ticket is mature")
			}
			srv.Flood.SetClock(func() time.Time { return time.Now().Add(flood.DefaultWait + time.Second) })
			browse(t, nojs, "it moves on by itself once the ticket is mature, and starts",
				visible("#waiting-step-ready"), click("#start-chat"), visible("#compose"))
			if n, err := srv.Chat.WaitingCount(ctx); err != nil || n != 2 {
				t.Fatalf("%d waiting after both pages started (%v)", n, err)
			}
			if c := seekerCookieOf(t, nojs, srv.URL); c == nil || strings.Contains(c.Value, "ticket") {
				t.Fatalf("seeker cookie %+v", c)
			}
		})
	}
}

// The supervisor page shows the waiting step, switches it, and every open
// supervisor page then says it is on, who switched it on and since when.
func TestBrowserSupervisorSwitchesTheWaitingStep(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	password := srv.MustAccount(t, "sam", "Sam Supervisora", chat.RoleSupervisor, 3)
	other := srv.MustAccount(t, "lia", "Lía", chat.RoleSupervisor, 3)
	browser := mustBrowser(t)
	signIn := func(page context.Context, user, password, lang string) {
		browse(t, page, user+" signs in",
			chromedp.Navigate(srv.URL+"/supervisor"), visible("#login"), chooseLanguage(lang),
			typeInto("#username", user), typeInto("#password", password), click("#login-submit"),
			visible(`#flood-panel[data-state="off"]`))
	}
	one, two := tab(t, browser), tab(t, browser)
	listenForPageErrors(t, one, "supervisor page")
	signIn(one, "sam", password, "es")
	signIn(two, "lia", other, "en")
	browse(t, one, "switches the waiting step on", click("#flood-switch"), visible(`#flood-panel[data-state="on"]`))
	if st, err := srv.Flood.State(ctx); err != nil || !st.On || st.By != "Sam Supervisora" {
		t.Fatalf("after the click: %+v %v", st, err)
	}
	browse(t, two, "the other supervisor page shows it", visible(`#flood-panel[data-state="on"]`))
	if got := value(t, two, "banner", textOf("#flood-state")); !strings.Contains(got, "Sam Supervisora") || !strings.Contains(got, "ON") {
		t.Fatalf("the other page says %q", got)
	}
	if a := startWith(t, ctx, srv, nil); a.Status != 429 {
		t.Fatalf("a start while on: %d", a.Status)
	}
	browse(t, two, "switches it off", click("#flood-switch"), visible(`#flood-panel[data-state="off"]`))
	if a := startWith(t, ctx, srv, nil); a.Status != 201 {
		t.Fatalf("a start while off: %d %s", a.Status, a.Body)
	}
}
