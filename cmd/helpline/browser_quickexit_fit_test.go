package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"helpline/cmd/internal/servertest"
)

// TestBrowserQuickExitFitsOnTheSmallestPhones: at 320 px wide, in both
// languages, the quick-exit button stays whole on screen, at most two lines
// high, and never covers the header's controls or spills below the header,
// on the first screen and in the chat. (Its hint, "or press Esc twice", is
// left out where it does not fit.)
func TestBrowserQuickExitFitsOnTheSmallestPhones(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory")
	browser := mustBrowser(t)
	measure := `(() => {
		const b = document.getElementById('quick-exit').getBoundingClientRect();
		const h = document.querySelector('header.topbar').getBoundingClientRect();
		const lang = document.getElementById('lang-switch').getBoundingClientRect();
		const line = parseFloat(getComputedStyle(document.querySelector('.quick-exit-text')).lineHeight) || 20;
		const overlaps = !(b.right <= lang.left || b.left >= lang.right || b.bottom <= lang.top || b.top >= lang.bottom);
		return JSON.stringify({ onScreen: b.left >= 0 && b.right <= window.innerWidth && b.top >= 0,
			textLines: Math.round(document.querySelector('.quick-exit-text').getBoundingClientRect().height / line),
			belowHeader: b.bottom > h.bottom + 1, overlaps });
	})()`
	for _, lang := range []string{"es", "en"} {
		seeker := tab(t, browser)
		browse(t, seeker, "seeker on a 320 px phone",
			uiNarrow(),
			chromedp.Navigate(srv.URL+"/"),
			visible("#intro"),
			chooseLanguage(lang),
			uiWait(`document.documentElement.lang === `+uiJS(lang)))
		check := func(where string) {
			// The button is fixed: it stays on screen as the page scrolls; against the
			// header it is measured with the page at its top.
			value(t, seeker, "scroll to the top", chromedp.Evaluate[bool](`(document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0), true)`))
			got := value(t, seeker, "measure", chromedp.Evaluate[string](measure))
			want := `{"onScreen":true,"textLines":1,"belowHeader":false,"overlaps":false}`
			if got != want {
				t.Errorf("%s, %s: quick exit %s, want %s", lang, where, got, want)
			}
		}
		check("first screen")
		browse(t, seeker, "into the chat", click("#start-prechat"), visible("#prechat"), click("#start-chat"), visible("#chat"))
		check("chat")
		uiNoSidewaysScroll(t, seeker, fmt.Sprint(lang, " chat at 320 px"))
	}
}
