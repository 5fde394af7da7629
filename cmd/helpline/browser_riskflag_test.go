package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// The console with risk flags, in headless Chromium: a waiting seeker who
// writes an imminent phrase is first in the queue with the "risk: …"
// marker; once accepted, the conversation shows the flag with its category
// and the words as written; after a reload (a reconnect) the flag is
// there again; switching language translates the category. Spanish on the
// memory store, English on PostgreSQL.
func TestBrowserRiskFlagInTheQueueAndTheConversation(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	words := map[string]string{"es": "estoy a solas con una niña", "en": "alone with a child"}
	other := map[string]string{"es": "en", "en": "es"}
	for lang, store := range uiStores {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			ctx := testCtx(t)
			password := srv.MustAccount(t, "lucia", "Lucía", chat.RoleCounselor, 2)
			table, otherTable := uiTexts(t, srv, lang), uiTexts(t, srv, other[lang])
			category := uiTr(t, table, "riskflag.category.child_at_risk_now")
			console := tab(t, mustBrowser(t))
			uiBrowse(t, console, "the counsellor signs in",
				chromedp.Navigate(srv.URL+"/console"),
				visible("#login"),
				chooseLanguage(lang),
				typeInto("#username", "lucia"),
				typeInto("#password", password),
				click("#login-submit"),
				visible("#workspace"))

			first, later := startSeeker(t, ctx, srv, "self", lang), startSeeker(t, ctx, srv, "other", lang)
			uiBrowse(t, console, "two wait", uiWait(`document.querySelectorAll('#queue li.queue-item').length === 2`))
			send(t, ctx, later.Client, later.started.ConversationID, "b1", "Ahora "+words[lang]+".")
			uiBrowse(t, console, "the seeker at risk is first, marked",
				uiTextIs("#queue li.queue-item:first-child .q-risk", uiTr(t, table, "riskflag.queue_marker")+category),
				uiWait(`document.querySelectorAll('#queue li.queue-item .q-risk').length === 1`),
				uiWait(`(() => { const q = document.querySelectorAll('#queue li.queue-item');
					return q[0].dataset.key === `+uiJS(later.started.ConversationID)+` && q[1].dataset.key === `+uiJS(first.started.ConversationID)+`; })()`))

			uiBrowse(t, console, "accepting it shows the flag",
				click("#queue li.queue-item:first-child button.accept"),
				visible("#c-riskflags"),
				uiTextIs("#c-riskflags-list li .riskflag-category", category),
				uiTextIs("#c-riskflags-list li .riskflag-words", "“"+words[lang]+"”"),
				uiTextIs("#c-riskflags-list li .riskflag-imminent", uiTr(t, table, "riskflag.imminent")))
			uiBrowse(t, console, "after a reload the flag is back",
				chromedp.Reload(),
				visible("#workspace"),
				visible("#c-riskflags"),
				uiTextIs("#c-riskflags-list li .riskflag-words", "“"+words[lang]+"”"))
			uiBrowse(t, console, "in the other language",
				chooseLanguage(other[lang]),
				uiTextIs("#c-riskflags-list li .riskflag-category", uiTr(t, otherTable, "riskflag.category.child_at_risk_now")),
				uiTextIs("#c-riskflags-heading", uiTr(t, otherTable, "riskflag.heading")))
		})
	}
}
