package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/counselors/wrapup"
)

// In the console, in both languages: a prepared answer with placeholders is
// inserted with the keyboard, sending is refused until they are filled, a
// second answer joins the same message; then the seeker leaves and the
// counsellor completes the wrap-up. The seeker is a Go client: the console
// is what is under test, and one page load is enough.
func TestBrowserPreparedAnswerAndWrapupAfterTheSeekerLeft(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	query := map[string][2]string{"es": {"acompaña", "momento"}, "en": {"supports people", "moment"}}
	filled := map[string][2]string{"es": {"Lima", "Centro Norte"}, "en": {"Leeds", "North Centre"}}
	for lang, store := range uiStores {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			table := uiTexts(t, srv, lang)
			password := srv.MustAccount(t, "lucia", "Lucía", chat.RoleCounselor, 2)
			ctx := testCtx(t)
			started, err := chatclient.StartConversation(ctx, srv.URL, "self", lang, "")
			if err != nil {
				t.Fatal(err)
			}
			seeker := dialAs(t, ctx, srv, started.Token)
			if _, err := seeker.Sync(ctx, started.ConversationID, 0); err != nil {
				t.Fatal(err)
			}
			send(t, ctx, seeker, started.ConversationID, "s1", "Hola")

			console := tab(t, mustBrowser(t))
			uiBrowse(t, console, "the counsellor signs in and accepts",
				chromedp.Navigate(srv.URL+"/console"),
				visible("#login"),
				chooseLanguage(lang),
				typeInto("#username", "lucia"),
				typeInto("#password", password),
				click("#login-submit"),
				visible("#queue button.accept"),
				click("#queue button.accept"),
				visible("#c-messages li.from-seeker"),
				visible("#answers-panel"))

			uiBrowse(t, console, "Ctrl+/ searches the prepared answers; Enter inserts one at the cursor",
				chromedp.Focus(chromedp.CSS("#c-compose")),
				chromedp.KeyEvent("/", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
				uiWait(`document.activeElement.id === 'answers-search'`),
				chromedp.KeyEvent(query[lang][0]),
				uiWait(`document.querySelectorAll('#answers-list li').length === 1`),
				pressEnter(),
				uiWait(`document.activeElement.id === 'c-compose'`))
			first := map[string]string{"es": "{{region}}", "en": "{{region}}"}[lang]
			second := map[string]string{"es": "{{servicio}}", "en": "{{service}}"}[lang]
			if sel := value(t, console, "selection", chromedp.Evaluate[string](`(() => { const c = document.getElementById('c-compose');
				return c.value.slice(c.selectionStart, c.selectionEnd); })()`)); sel != first {
				t.Fatalf("after inserting, the selection is %q, want the first placeholder %q", sel, first)
			}
			if marks := value(t, console, "marks", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#c-placeholders mark')).map((m) => m.textContent).join(' ')`)); marks != first+" "+second {
				t.Fatalf("highlighted placeholders %q", marks)
			}

			uiBrowse(t, console, "sending is refused while a placeholder is unfilled",
				pressEnter(),
				visible("#c-placeholder-error"),
				uiTextIs("#c-placeholder-error", uiTr(t, table, "answers.unfilled", "names", first+", "+second)))
			if n := value(t, console, "sent", uiCount("#c-messages li.from-counselor")); n != 0 {
				t.Fatalf("%d messages sent with placeholders in them", n)
			}

			uiBrowse(t, console, "the counsellor fills in the first placeholder, selected: typing replaces it",
				chromedp.KeyEvent(filled[lang][0]),
				uiWait(`document.querySelectorAll('#c-placeholders button.placeholder-chip').length === 1`))
			uiBrowse(t, console, "the highlighted placeholder left, clicked, is selected",
				click("#c-placeholders button.placeholder-chip"))
			uiBrowse(t, console, "and filled in",
				chromedp.KeyEvent(filled[lang][1]),
				uiWait(`document.getElementById('c-placeholders').hidden`))
			uiBrowse(t, console, "the counsellor adds a second answer",
				chromedp.Evaluate[chromedp.Void](`(() => { const c = document.getElementById('c-compose'); c.focus(); c.setSelectionRange(c.value.length, c.value.length); })()`),
				chromedp.KeyEvent("/", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
				uiWait(`document.activeElement.id === 'answers-search'`),
				chromedp.KeyEvent(query[lang][1]),
				uiTextIs(`#answers-list li[aria-selected="true"] .answer-title`, map[string]string{"es": "Un momento", "en": "One moment"}[lang]),
				pressEnter(),
				uiWait(`document.activeElement.id === 'c-compose'`),
				pressEnter(),
				uiWait(`!!document.querySelector('#c-messages li.from-counselor[data-state="delivered"]')`))
			got, err := seeker.WaitFor(ctx, func(f chatclient.Frame) bool {
				return f.Type == "message" && f.Kind == "text" && f.Sender == "counselor"
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{filled[lang][0], filled[lang][1], map[string]string{"es": "Dame un momento", "en": "Give me a moment"}[lang]} {
				if !strings.Contains(got.Body, want) || strings.Contains(got.Body, "{{") {
					t.Fatalf("the seeker got %q, want it to hold %q and no placeholder", got.Body, want)
				}
			}

			// The seeker leaves; the wrap-up is reminded, and done afterwards.
			if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/leave", "", map[string]string{"token": started.Token}, nil); a.Status != 204 {
				t.Fatalf("leave: %d", a.Status)
			}
			form := srv.Tools.Wrapups.Form()
			uiBrowse(t, console, "the console reminds of the wrap-up once the seeker has left",
				visible("#wrapup-reminder"),
				uiTextIs("#wrapup-reminder", uiTr(t, table, "wrapup.reminder")),
				visible("#wrapup-pending"),
				uiTextIs("#wrapup-pending", uiTr(t, table, "wrapup.pending_one")),
				uiWait(`!document.getElementById('wrapup-complete').disabled`),
				uiSomeTextIs("#wrapup-f-contact_type option", form.Fields[0].Options[0].Label[lang]))
			steps := []chromedp.Action[chromedp.Void]{}
			for field, v := range fullWrapup {
				steps = append(steps, uiChoose("#wrapup-f-"+field, v))
			}
			steps = append(steps, click("#wrapup-complete"), visible("#wrapup-done"), uiTextIs("#wrapup-done", uiTr(t, table, "wrapup.done")),
				uiWait(`document.getElementById('wrapup-pending').hidden`))
			uiBrowse(t, console, "the counsellor completes the wrap-up", steps...)
			counts, err := srv.Tools.Wrapups.DailyCounts(context.Background(), time.Now().Add(-24*time.Hour), time.Now().Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			n := map[string]int64{}
			for _, c := range counts {
				n[c.Field+"="+c.Value] += c.N
			}
			if n[wrapup.CompletedField+"=yes"] != 1 || n["category="+fullWrapup["category"]] != 1 {
				t.Fatalf("counts after the wrap-up: %v", n)
			}
		})
	}
}

// pressEnter presses Enter as a browser does for a page whose keydown
// handler prevents the default: the key goes down and up, and no character
// is typed (CDP would otherwise type its "\r" into whatever has the focus
// by then).
func pressEnter() chromedp.Action[chromedp.Void] {
	return chromedp.KeyEvent(kb.Enter, func(p *input.DispatchKeyEventParams) {
		if p.Type == kb.KeyChar {
			p.Modifiers |= int64(chromedp.ModifierAlt) // KeyEvent sends no char event with Alt
		}
	})
}
