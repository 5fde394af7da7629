package main

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"helpline/cmd/internal/servertest"
)

// TestBrowserAsksBeforeSendingIdentifyingDetails: the page's JavaScript
// finds exactly what the server's rules find on every shared case
// (web/identifying/testdata/cases.json); a message with a phone number is
// held with a gentle question (in the page's language), "Edit" keeps it
// unsent, "Send anyway" sends it; a message with nothing of the kind goes
// at once.
func TestBrowserAsksBeforeSendingIdentifyingDetails(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	cases, err := os.ReadFile("../../web/identifying/testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.Start(t, "memory")
	tr := map[string]map[string]string{"es": uiTexts(t, srv, "es"), "en": uiTexts(t, srv, "en")}
	browser := mustBrowser(t)
	seeker := tab(t, browser)
	browse(t, seeker, "seeker starts a conversation",
		chromedp.Navigate(srv.URL+"/"),
		visible("#intro"),
		chooseLanguage("es"),
		click("#start-prechat"),
		visible("#prechat"),
		click("#start-chat"),
		visible("#chat"))

	mismatches := value(t, seeker, "the shared cases in JavaScript", chromedp.Evaluate[[]string](`(async () => {
		const { kinds } = await import('/static/lib/identifying.js');
		const cases = `+string(cases)+`;
		const bad = [];
		for (const c of cases) {
			const got = (await kinds(c.text)).sort().join(',');
			const want = (c.want || []).slice().sort().join(',');
			if (got !== want) bad.push(c.text + ': found [' + got + '], want [' + want + ']');
		}
		return bad;
	})()`, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if len(mismatches) > 0 {
		t.Fatalf("the page's rules disagree with the server's:\n%s", strings.Join(mismatches, "\n"))
	}
	browse(t, seeker, "a message with a phone number is held with a question",
		typeInto("#compose", "mi móvil es 612 345 678"),
		click("#send"),
		visible("#identify-warning"))
	if got, want := value(t, seeker, "warning", textOf("#identify-text")), uiTr(t, tr["es"], "identify.warning", "what", tr["es"]["identify.kind_phone"]); got != want {
		t.Fatalf("warning %q, want %q", got, want)
	}
	if n := value(t, seeker, "messages", chromedp.Evaluate[int](countMessages)); n != 0 {
		t.Fatalf("%d messages shown while the question is open: nothing may be sent yet", n)
	}
	browse(t, seeker, "Edit keeps it unsent and in the composer",
		click("#identify-edit"),
		chromedp.WaitNotVisible(chromedp.CSS("#identify-warning")))
	if v := value(t, seeker, "composer", chromedp.Evaluate[string](`document.getElementById('compose').value`)); v != "mi móvil es 612 345 678" {
		t.Fatalf("after Edit the composer holds %q", v)
	}
	browse(t, seeker, "Send anyway sends it",
		click("#send"),
		visible("#identify-warning"),
		click("#identify-send"),
		visible(`#messages li.from-seeker[data-state="delivered"]`),
		typeInto("#compose", "gracias"),
		click("#send"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#messages li.from-seeker[data-state="delivered"]').length === 2`))
	if shown := value(t, seeker, "warning after a plain message", chromedp.Evaluate[bool](`!document.getElementById('identify-warning').hidden`)); shown {
		t.Fatal("a message with nothing identifying was questioned")
	}
}
