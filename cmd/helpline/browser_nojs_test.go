package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// These walk the help-seeker's pages with JavaScript disabled in the page
// (as Tor Browser's "Safest" does), against the real server.

// scripts switches the page's JavaScript on or off for this tab.
func scripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}

// sameBrowserTab opens another tab of the browser (context) of home: the
// same cookies, as a person's second tab.
func sameBrowserTab(t *testing.T, home context.Context) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(home)
	if err := chromedp.Do(ctx, scripts(false)); err != nil {
		t.Fatal(err)
	}
	return ctx, cancel
}

// frameMessages reads the messages the chat page's frame shows: "seq:sender:kind:body" each.
const frameMessages = `(() => { const f = document.getElementById('log-frame');
	const d = f && f.contentDocument; if (!d) return [];
	return Array.from(d.querySelectorAll('#messages li.msg')).map((li) =>
		li.dataset.seq + ':' + li.className.replace(/^msg from-(\w+).*$/, '$1') + ':' + li.dataset.kind + ':' +
		li.querySelector('.msg-body').textContent); })()`

// waitLog waits until the frame's messages satisfy ok (the frame reloads
// itself every HELPLINE_NOJS_REFRESH).
func waitLog(t *testing.T, ctx context.Context, what string, ok func([]string) bool) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := value(t, ctx, what, chromedp.Evaluate[[]string](frameMessages))
		if ok(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the frame shows %q", what, got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func hasMessage(body string) func([]string) bool {
	return func(ms []string) bool {
		for _, m := range ms {
			if strings.HasSuffix(m, ":"+body) {
				return true
			}
		}
		return false
	}
}

// seekerCookie returns the browser's seeker cookie, if it has one.
func seekerCookieOf(t *testing.T, ctx context.Context, url string) *network.Cookie {
	t.Helper()
	cookies := value(t, ctx, "cookies", func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
		if err != nil {
			return nil, err
		}
		return res.Cookies, nil
	})
	for _, c := range cookies {
		if c.Name == "helpline_seeker" {
			return c
		}
	}
	return nil
}

// conversationOf reads the conversation id out of the browser's seeker
// cookie (the credential's subject), as a test may.
func conversationOf(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	c := seekerCookieOf(t, ctx, url)
	if c == nil {
		t.Fatal("the browser has no seeker cookie")
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		t.Fatalf("cookie %q is not a credential", c.Value)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	mustJSON(t, payload, &claims)
	return claims.Sub
}

// counselorAccepts signs a counsellor in over the protocol and takes the
// conversation.
func counselorAccepts(t *testing.T, ctx context.Context, srv *servertest.Server, name, id string) *chatclient.Client {
	t.Helper()
	c, _ := mustCounselor(t, ctx, srv, name, 2)
	accept(t, ctx, c, id)
	return c
}

var nojsIntro = map[string]string{"es": "Puedes hablar con nosotros", "en": "You can talk to us"}

func TestBrowserNoJSWholeConversationInBothLanguages(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	for lang, store := range map[string]string{"es": "memory", "en": "postgres"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			exitTo := servertest.Start(t, "memory")
			exitURL := exitTo.URL + "/healthz"
			srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_NOJS_REFRESH": "1s", "HELPLINE_EXIT_URL": exitURL}})
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			home := tab(t, mustBrowser(t))
			browse(t, home, "no scripts in the first tab", scripts(false))
			seeker, closeTab := sameBrowserTab(t, home)

			browse(t, seeker, "the seeker page without JavaScript leads to the intro",
				chromedp.Navigate(srv.URL+"/"),
				visible("#intro-heading"),
				click(`a.lang-link[hreflang="`+lang+`"], .lang-current[lang="`+lang+`"]`),
				visible("#intro-heading"))
			if h := value(t, seeker, "intro heading", textOf("#intro-heading")); !strings.Contains(h, nojsIntro[lang]) {
				t.Fatalf("intro heading in %s = %q", lang, h)
			}
			browse(t, seeker, "pre-chat questions, then the chat",
				click("#start-prechat"),
				visible("#prechat-form"),
				click(`#audience-self`),
				typeInto("#region", "Quito"),
				click("#start-chat"),
				visible("#compose"),
				typeInto("#compose", "Hola, necesito <b>hablar</b>."),
				click("#send"),
				visible("#compose"))
			waitLog(t, seeker, "own message", hasMessage("Hola, necesito <b>hablar</b>."))
			if place := value(t, seeker, "place", chromedp.Evaluate[string](`document.getElementById('log-frame').contentDocument.getElementById('position-place').textContent`)); place == "" {
				t.Fatal("no place in the queue while waiting")
			}

			id := conversationOf(t, seeker, srv.URL)
			counselor := counselorAccepts(t, ctx, srv, "nora-"+lang, id)
			if ms, err := counselor.Sync(ctx, id, 0); err != nil || len(ms) == 0 || ms[0].Body != "Hola, necesito <b>hablar</b>." || ms[0].Seq != 1 {
				t.Fatalf("counsellor got %v, %v", ms, err)
			}
			send(t, ctx, counselor, id, "r1", "Aquí estoy.")
			before := waitLog(t, seeker, "the reply", hasMessage("Aquí estoy."))

			// Closing the tab and coming back finds the same conversation.
			closeTab()
			seeker, closeTab = sameBrowserTab(t, home)
			defer func() { closeTab() }()
			browse(t, seeker, "back after closing the tab", chromedp.Navigate(srv.URL+"/nojs/"), visible("#compose"))
			if after := waitLog(t, seeker, "resumed", hasMessage("Aquí estoy.")); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("before closing the tab %q, after %q", before, after)
			}

			browse(t, seeker, "the seeker ends it",
				click("#end-chat"), visible("#confirm-yes"), click("#confirm-yes"), visible("#closing"))
			if _, err := counselor.WaitFor(ctx, func(f chatclient.Frame) bool {
				return f.Type == "conversation" && f.Conversation.Status == "ended"
			}); err != nil {
				t.Fatal(err)
			}
			if n := value(t, seeker, "transcript", chromedp.Evaluate[int](`document.querySelectorAll('#messages li.msg').length`)); n != 4 {
				t.Fatalf("ended page shows %d messages, want 4 (message, joined, reply, ended)", n)
			}
			browse(t, seeker, "and deletes it",
				click("#delete-chat"), visible("#confirm-yes"), click("#confirm-yes"), visible("#intro-notice"))
			if c := seekerCookieOf(t, seeker, srv.URL); c != nil {
				t.Fatalf("the seeker cookie outlived delete: %+v", c)
			}

			browse(t, seeker, "a new conversation, then quick exit",
				click("#start-prechat"), visible("#start-chat"), click("#start-chat"), visible("#compose"),
				click("#quick-exit"), chromedp.WaitReady("body"))
			if loc := value(t, seeker, "location", chromedp.Location()); loc != exitURL {
				t.Fatalf("quick exit went to %q, want %q", loc, exitURL)
			}
			if c := seekerCookieOf(t, seeker, srv.URL); c != nil {
				t.Fatalf("the seeker cookie outlived quick exit: %+v", c)
			}
			if n, err := srv.Chat.WaitingCount(ctx); err != nil || n != 0 {
				t.Fatalf("after quick exit %d wait (%v)", n, err)
			}
		})
	}
}

// liveMessages reads the live page's messages as frameMessages does, with the
// sender from the class ("seq:sender:body"; system messages' body is words).
const liveMessages = `Array.from(document.querySelectorAll('#messages li.msg')).map((li) =>
	(li.dataset.seq || '?') + ':' + li.className.replace(/^msg from-(\w+).*$/, '$1') + ':' + li.querySelector('.msg-body').textContent)`

// withoutKind drops the kind from frameMessages' entries, and the words of
// system messages, which the two pages word alike but not to the letter.
func comparable(ms []string, hasKind bool) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		parts := strings.SplitN(m, ":", 4)
		if hasKind {
			parts = append(parts[:2], parts[3])
		} else {
			parts = strings.SplitN(m, ":", 3)
		}
		if parts[1] == "system" {
			parts[2] = ""
		}
		out = append(out, strings.Join(parts, ":"))
	}
	return out
}

func TestBrowserSwitchesBetweenNoJSAndJSMidConversation(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_NOJS_REFRESH": "1s"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	home := tab(t, mustBrowser(t))
	browse(t, home, "no scripts in the first tab", scripts(false))
	seeker, closeTab := sameBrowserTab(t, home)
	defer func() { closeTab() }()

	browse(t, seeker, "a conversation without JavaScript",
		chromedp.Navigate(srv.URL+"/nojs/start"),
		click("#start-chat"), visible("#compose"),
		typeInto("#compose", "uno"), click("#send"), visible("#compose"))
	waitLog(t, seeker, "own message", hasMessage("uno"))
	id := conversationOf(t, seeker, srv.URL)
	counselor := counselorAccepts(t, ctx, srv, "ines", id)
	send(t, ctx, counselor, id, "c2", "dos")
	noJS := waitLog(t, seeker, "reply", hasMessage("dos"))

	// JavaScript comes on: the page hands its credential to the live page.
	browse(t, seeker, "JavaScript on: the live page takes over",
		scripts(true),
		chromedp.Navigate(srv.URL+"/nojs/chat"),
		visible("#messages li.from-counselor"))
	live := value(t, seeker, "live messages", chromedp.Evaluate[[]string](liveMessages))
	if got, want := comparable(live, false), comparable(noJS, true); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the live page shows %q, the page without JavaScript showed %q", got, want)
	}
	// The live page hands over by itself too: drop the cookie, reload, and it is back.
	browse(t, seeker, "the live page writes and hands over",
		func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, network.DeleteCookies, network.DeleteCookiesParams{Name: "helpline_seeker", URL: srv.URL})
			return chromedp.Void{}, err
		},
		chromedp.Reload(),
		visible("#messages li.from-counselor"),
		typeInto("#compose", "tres"), click("#send"),
		visible(`#messages li.from-seeker:nth-of-type(4)[data-state="delivered"]`))
	send(t, ctx, counselor, id, "c4", "cuatro")
	browse(t, seeker, "the live page gets the next reply", visible("#messages li.from-counselor:nth-of-type(5)"))
	live = value(t, seeker, "live messages", chromedp.Evaluate[[]string](liveMessages))
	if seekerCookieOf(t, seeker, srv.URL) == nil {
		t.Fatal("the live page did not hand its credential over")
	}

	// JavaScript goes off again: / leads back to the same conversation.
	browse(t, seeker, "JavaScript off again",
		scripts(false),
		chromedp.Navigate(srv.URL+"/"),
		visible("#compose"))
	back := waitLog(t, seeker, "back without JavaScript", hasMessage("cuatro"))
	if got, want := comparable(back, true), comparable(live, false); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("back without JavaScript %q, the live page showed %q", got, want)
	}
	for i, m := range back {
		if seq := strings.SplitN(m, ":", 2)[0]; seq != fmt.Sprint(i+1) {
			t.Fatalf("message %d has seq %s: %q", i+1, seq, back)
		}
	}

	// A live page opened with nothing stored finds the conversation the cookie holds.
	browse(t, seeker, "JavaScript on, the live page's storage empty",
		scripts(true),
		chromedp.Navigate(srv.URL+"/static/style.css"),
		chromedp.Evaluate[chromedp.Void](`localStorage.clear()`),
		chromedp.Navigate(srv.URL+"/"),
		visible("#messages li.from-counselor:nth-of-type(5)"))
	if again := value(t, seeker, "live messages", chromedp.Evaluate[[]string](liveMessages)); fmt.Sprint(again) != fmt.Sprint(live) {
		t.Fatalf("resumed from the cookie %q, before %q", again, live)
	}
}
