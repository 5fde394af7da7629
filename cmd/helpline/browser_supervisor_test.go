package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// The supervisor page in both languages: it signs in, lists the live
// conversation with its counsellor, and "Open" watches it in the console
// with no id typed.
func TestBrowserSupervisorPageListsAndOpensALiveConversation(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory")
	ctx := testCtx(t)
	password := srv.MustAccount(t, "sam", "Sam", chat.RoleSupervisor, 3)
	c, _ := mustCounselor(t, ctx, srv, "ana", 3)
	s := mustSeeker(t, ctx, srv)
	accept(t, ctx, c, s.started.ConversationID)
	send(t, ctx, s.Client, s.started.ConversationID, "b1", "Hola, ¿hay alguien?")

	browser := mustBrowser(t)
	page := tab(t, browser)
	listenForPageErrors(t, page, "supervisor page")
	row := `#live-rows tr[data-id="` + s.started.ConversationID + `"]`
	browse(t, page, "the supervisor signs in",
		chromedp.Navigate(srv.URL+"/supervisor"),
		visible("#login"),
		chooseLanguage("es"),
		typeInto("#username", "sam"),
		typeInto("#password", password),
		click("#login-submit"),
		visible("#workspace"),
		visible(row),
		uiWait(`document.getElementById('connection').dataset.state === 'connected'`))
	headings := map[string]string{"es": "Conversaciones en curso", "en": "Live conversations"}
	openWord := map[string]string{"es": "Abrir", "en": "Open"}
	for _, lang := range []string{"es", "en"} {
		// The list is drawn again every few seconds, so the row is read in the
		// page, as one look: the counsellor, the language named in its own
		// tongue whatever the page's, and the open link in the page's language.
		rowHas := `(() => { const r = document.querySelector(` + uiJS(row) + `); if (!r) return false;
			const t = r.textContent; return t.includes('Consejera ana') && t.includes('Español') && t.includes(` + uiJS(openWord[lang]) + `); })()`
		browse(t, page, "the page in "+lang+": the live row names the counsellor, the language and the open link", chooseLanguage(lang),
			uiWait(`document.getElementById('live-heading').textContent === '`+headings[lang]+`'`), uiWait(rowHas))
	}
	browse(t, page, "the supervisor opens it",
		click(row+" a"),
		visible("#conversation"),
		visible("#c-watching"),
		visible("#c-messages li.from-seeker"))
	if got := value(t, page, "the watched message", textOf("#c-messages li.from-seeker")); !strings.Contains(got, "hay alguien") {
		t.Fatalf("the watched conversation shows %q", got)
	}
	if loc := value(t, page, "address", chromedp.Location()); strings.Contains(loc, "#") {
		t.Fatalf("the console kept the conversation in its address: %s", loc)
	}
}
