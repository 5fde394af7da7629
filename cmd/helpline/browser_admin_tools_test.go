package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// What admins edit in /admin, in headless Chromium, in both languages
// (Spanish on the memory store, English on PostgreSQL): a shared prepared
// answer a counsellor then inserts, a new version of the wrap-up form that
// the next wrap-up is written with while an older one keeps its own, and a
// risk phrase that then flags a seeker's message with the list's new
// version.

// adminSignsIn opens /admin in a new tab and signs username in.
func adminSignsIn(t *testing.T, browser context.Context, srv *servertest.Server, lang, username, password string) context.Context {
	t.Helper()
	page := tab(t, browser)
	uiBrowse(t, page, username+" signs in to /admin",
		chromedp.Navigate(srv.URL+"/admin"), visible("#login"), chooseLanguage(lang),
		uiWait(`document.documentElement.lang === `+uiJS(lang)),
		typeInto("#username", username), typeInto("#password", password), click("#login-submit"),
		visible("#workspace"))
	return page
}

// consoleSignsIn opens the console in a new tab and signs a counsellor in.
func consoleSignsIn(t *testing.T, browser context.Context, srv *servertest.Server, lang, username, password string) context.Context {
	t.Helper()
	console := tab(t, browser)
	uiSignIn(t, console, srv, lang, username, password)
	return console
}

// slowCtx outlasts the browser steps of a whole test (testCtx's 20 s may
// not, on a busy machine).
func slowCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestBrowserAdminAddsASharedAnswerACounsellorInserts(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	body := map[string]string{"es": "Aquí tienes la línea de {{region}} para cuando la necesites.", "en": "Here is the line for {{region}} whenever you need it."}
	title := map[string]string{"es": "Línea de guardia regional", "en": "Regional duty line"}
	for lang, store := range uiStores {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			table := uiTexts(t, srv, lang)
			ctx := slowCtx(t)
			rootPass := srv.MustAccount(t, "root", "Root", chat.RoleAdmin, 1)
			samPass := srv.MustAccount(t, "sam", "Sam", chat.RoleSupervisor, 2)
			luciaPass := srv.MustAccount(t, "lucia", "Lucía", chat.RoleCounselor, 2)
			browser := mustBrowser(t)

			admin := adminSignsIn(t, browser, srv, lang, "root", rootPass)
			uiBrowse(t, admin, "the admin adds a shared answer with the keyboard",
				click(`.admin-tabs .tab[data-panel="answers-panel"]`), visible("#answers-panel"),
				uiTextIs("#answers-heading", uiTr(t, table, "admin.answers.heading")),
				click("#answers-new"), visible("#answer-form"),
				uiWait(`document.activeElement.id === 'ae-title'`),
				chromedp.KeyEvent(title[lang]),
				uiChoose("#ae-lang", lang),
				typeInto("#ae-body", body[lang]), typeInto("#ae-tags", "guardia, duty"),
				click("#ae-save"),
				uiWait(`document.getElementById('answer-form').hidden`),
				uiSomeTextIs("#answers-rows td.answer-title", title[lang]),
				uiTextIs("#admin-status", uiTr(t, table, "admin.answers.saved", "title", title[lang])))

			// The counsellor inserts it in a conversation.
			seeker := startSeeker(t, ctx, srv, "self", lang)
			console := consoleSignsIn(t, browser, srv, lang, "lucia", luciaPass)
			uiBrowse(t, console, "the counsellor accepts and inserts the new answer",
				visible("#queue button.accept"), click("#queue button.accept"), visible("#answers-panel"),
				chromedp.Focus(chromedp.CSS("#c-compose")),
				chromedp.KeyEvent("/", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
				uiWait(`document.activeElement.id === 'answers-search'`),
				chromedp.KeyEvent(title[lang]),
				uiWait(`document.querySelectorAll('#answers-list li').length === 1`),
				pressEnter(),
				uiWait(`document.getElementById('c-compose').value === `+uiJS(body[lang])),
				chromedp.KeyEvent("Madrid"),
				uiWait(`document.getElementById('c-placeholders').hidden`),
				pressEnter(),
				uiWait(`!!document.querySelector('#c-messages li.from-counselor[data-state="delivered"]')`))
			got, err := seeker.WaitFor(ctx, func(f chatclient.Frame) bool {
				return f.Type == "message" && f.Kind == "text" && f.Sender == "counselor"
			})
			if want := strings.Replace(body[lang], "{{region}}", "Madrid", 1); err != nil || got.Body != want {
				t.Fatalf("the seeker got %q (%v), want %q", got.Body, err, want)
			}

			uiBrowse(t, admin, "the admin retires it",
				click(`#answers-rows button.retire[aria-label=`+uiJS(uiTr(t, table, "admin.answers.retire_named", "title", title[lang]))+`]`),
				uiWait(`!Array.from(document.querySelectorAll('#answers-rows td.answer-title')).some((n) => n.textContent === `+uiJS(title[lang])+`)`),
				click("#af-retired"),
				uiWait(`Array.from(document.querySelectorAll('#answers-rows tr.retired td.answer-title')).some((n) => n.textContent === `+uiJS(title[lang])+`)`))
			uiBrowse(t, console, "the counsellor no longer finds it",
				chromedp.Focus(chromedp.CSS("#c-compose")),
				chromedp.KeyEvent("/", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
				uiWait(`document.activeElement.id === 'answers-search'`),
				chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('answers-search'); s.value = ''; })()`),
				chromedp.KeyEvent(title[lang]),
				visible("#answers-empty"))

			// A supervisor manages the same answers from /admin, and sees only that.
			sup := adminSignsIn(t, browser, srv, lang, "sam", samPass)
			uiBrowse(t, sup, "the supervisor sees the shared answers and nothing else",
				visible("#answers-panel"),
				uiWait(`document.querySelector('.admin-tabs .tab[data-panel="accounts-panel"]').hidden`),
				uiWait(`document.getElementById('accounts-panel').hidden`))
			if n := value(t, sup, "visible tabs", uiCount(`.admin-tabs .tab:not([hidden])`)); n != 1 {
				t.Fatalf("the supervisor sees %d tabs, want 1", n)
			}
		})
	}
}

func TestBrowserAdminChangesTheWrapupForm(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	label := map[string]string{"es": "Profesional que consulta", "en": "A professional asking for advice"}
	for lang, store := range uiStores {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			table := uiTexts(t, srv, lang)
			ctx := slowCtx(t)
			rootPass := srv.MustAccount(t, "root", "Root", chat.RoleAdmin, 1)
			kimPass := srv.MustAccount(t, "kim", "Kim", chat.RoleCounselor, 2)
			luciaPass := srv.MustAccount(t, "lucia", "Lucía", chat.RoleCounselor, 2)
			v1 := srv.Tools.Wrapups.Form().Version

			// An older conversation, wrapped up with the form as shipped.
			older := startSeeker(t, ctx, srv, "self", lang)
			kim, kimIn := signIn(t, ctx, srv, "kim", kimPass)
			accept(t, ctx, kim, older.started.ConversationID)
			if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/leave", "", map[string]string{"token": older.started.Token}, nil); a.Status != 204 {
				t.Fatalf("leave: %d", a.Status)
			}
			if a := call(t, ctx, nil, "POST", srv.URL+"/api/conversations/"+older.started.ConversationID+"/wrapup/complete", kimIn.Token,
				map[string]any{"answers": fullWrapup}, nil); a.Status != 200 || !strings.Contains(string(a.Body), `"form_version":"`+v1+`"`) {
				t.Fatalf("the older wrap-up: %d %s", a.Status, a.Body)
			}

			browser := mustBrowser(t)
			admin := adminSignsIn(t, browser, srv, lang, "root", rootPass)
			form := srv.Tools.Wrapups.Form()
			added := "wf-0-" + strconv.Itoa(len(form.Fields[0].Options)) // the path of the contact type the admin adds
			question := strconv.Itoa(len(form.Fields))                   // and of the question they add, then remove
			uiBrowse(t, admin, "the admin adds a contact type, its code made from its English label",
				click(`.admin-tabs .tab[data-panel="wrapup-form-panel"]`), visible("#wrapup-form-panel"),
				uiTextIs("#wf-current", uiTr(t, table, "admin.wrapup.current", "version", v1)),
				click(`#wf-fields button[data-action="add-option"][data-path="0"]`),
				uiWait(`document.activeElement.id === '`+added+`-es'`),
				chromedp.KeyEvent(label["es"]),
				typeInto("#"+added+"-en", label["en"]),
				uiWait(`document.getElementById('`+added+`-id').value === 'a_professional_asking_for_advice'`))
			uiBrowse(t, admin, "a question asking for a phone number is refused, in the page's language",
				click("#wf-add-choice"),
				uiWait(`document.activeElement.id === 'wf-`+question+`-es'`),
				chromedp.KeyEvent("Teléfono de contacto"),
				typeInto("#wf-"+question+"-en", "Contact phone"),
				click("#wf-save"),
				uiTextIs("#wf-error", uiTr(t, table, "admin.wrapup.err_identifying", "where",
					uiTr(t, table, "admin.wrapup.question_n", "n", len(form.Fields)+1, "code", "contact_phone"), "word", "Teléfono")))
			if v := srv.Tools.Wrapups.Form().Version; v != v1 {
				t.Fatalf("a refused form was saved as %s", v)
			}
			uiBrowse(t, admin, "the admin removes that question and saves",
				click(`#wf-fields button[data-action="remove"][data-path="`+question+`"]`),
				click("#wf-save"),
				uiWait(`document.getElementById('wf-current').textContent !== `+uiJS(uiTr(t, table, "admin.wrapup.current", "version", v1))),
				uiWait(`document.querySelectorAll('#wf-versions tr').length === 2`))
			v2 := srv.Tools.Wrapups.Form().Version
			if v2 == v1 {
				t.Fatal("no new version of the form")
			}

			// A new conversation's wrap-up, in the console, has the new contact type.
			newer := startSeeker(t, ctx, srv, "self", lang)
			console := consoleSignsIn(t, browser, srv, lang, "lucia", luciaPass)
			uiBrowse(t, console, "the counsellor accepts", visible("#queue button.accept"), click("#queue button.accept"), visible("#wrapup"))
			if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/leave", "", map[string]string{"token": newer.started.Token}, nil); a.Status != 204 {
				t.Fatalf("leave: %d", a.Status)
			}
			newAnswers := map[string]string{}
			for k, v := range fullWrapup {
				newAnswers[k] = v
			}
			newAnswers["contact_type"] = "a_professional_asking_for_advice"
			steps := []chromedp.Action[chromedp.Void]{
				visible("#wrapup-reminder"), uiWait(`!document.getElementById('wrapup-complete').disabled`),
				uiSomeTextIs("#wrapup-f-contact_type option", label[lang]),
			}
			for field, v := range newAnswers {
				steps = append(steps, uiChoose("#wrapup-f-"+field, v))
			}
			steps = append(steps, click("#wrapup-complete"), visible("#wrapup-done"))
			uiBrowse(t, console, "the counsellor completes the wrap-up with the new contact type", steps...)

			counts, err := srv.Tools.Wrapups.DailyCounts(context.Background(), time.Now().Add(-24*time.Hour), time.Now().Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			by := map[string]int64{}
			for _, c := range counts {
				by[c.FormVersion+" "+c.Field+"="+c.Value] += c.N
			}
			if by[v1+" _completed=yes"] != 1 || by[v1+" contact_type=own_behaviour"] != 1 ||
				by[v2+" _completed=yes"] != 1 || by[v2+" contact_type=a_professional_asking_for_advice"] != 1 {
				t.Fatalf("counts by version: %v; want the older wrap-up under %s and the new one under %s", by, v1, v2)
			}
			a := call(t, ctx, nil, "GET", srv.URL+"/api/conversations/"+older.started.ConversationID+"/wrapup", kimIn.Token, nil, nil)
			if a.Status != 200 || !strings.Contains(string(a.Body), `"form_version":"`+v1+`"`) {
				t.Fatalf("the older wrap-up after the change: %d %s", a.Status, a.Body)
			}
		})
	}
}

func TestBrowserAdminAddsARiskPhrase(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	phrase := map[string]string{"es": "junto a la puerta del colegio", "en": "by the school gate"}
	for lang, store := range uiStores {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			table := uiTexts(t, srv, lang)
			ctx := slowCtx(t)
			rootPass := srv.MustAccount(t, "root", "Root", chat.RoleAdmin, 1)
			var before string
			for _, l := range srv.PhraseLists.Matcher(ctx).Lists() {
				if l.Name == lang {
					before = l.Version
				}
			}
			admin := adminSignsIn(t, mustBrowser(t), srv, lang, "root", rootPass)
			uiBrowse(t, admin, "the admin opens the list of their language, category child at risk",
				click(`.admin-tabs .tab[data-panel="phrases-panel"]`), visible("#phrases-panel"),
				uiChoose("#ph-list", lang), uiChoose("#ph-category", "child_at_risk_now"),
				uiTextIs("#ph-version", uiTr(t, table, "admin.phrases.version", "version", before)))
			uiBrowse(t, admin, "a phrase too short is refused",
				chromedp.Focus(chromedp.CSS("#ph-new")), chromedp.KeyEvent("sola"), pressEnter(),
				visible("#ph-add-error"),
				uiTextIs("#ph-add-error", uiTr(t, table, "admin.phrases.err_short", "phrase", "sola", "n", 6)))
			uiBrowse(t, admin, "the admin adds a phrase with the keyboard and saves a new version",
				chromedp.Evaluate[chromedp.Void](`document.getElementById('ph-new').value = ''`),
				chromedp.KeyEvent(phrase[lang]), pressEnter(),
				uiSomeTextIs("#ph-phrases .phrase", phrase[lang]),
				uiTextIs("#ph-changed", uiTr(t, table, "admin.phrases.unsaved")),
				click("#ph-save"),
				uiWait(`document.getElementById('ph-version').textContent !== `+uiJS(uiTr(t, table, "admin.phrases.version", "version", before))),
				uiWait(`document.querySelectorAll('#ph-versions tr').length === 2`))
			var after string
			for _, l := range srv.PhraseLists.Matcher(ctx).Lists() {
				if l.Name == lang {
					after = l.Version
				}
			}
			if after == before {
				t.Fatal("no new version of the list")
			}

			seeker := startSeeker(t, ctx, srv, "self", lang)
			send(t, ctx, seeker.Client, seeker.started.ConversationID, "r1", "Ahora mismo "+phrase[lang]+".")
			deadline := time.Now().Add(10 * time.Second)
			for {
				flags, err := srv.RiskFlags.Flags(ctx, seeker.started.ConversationID)
				if err != nil {
					t.Fatal(err)
				}
				if len(flags) > 0 {
					f := flags[0]
					if f.List != lang || f.Version != after || f.Category != "child_at_risk_now" || !f.Imminent {
						t.Fatalf("flag %+v; want list %s version %s", f, lang, after)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the seeker's message with the new phrase raised no flag")
				}
				time.Sleep(20 * time.Millisecond) // the observer runs after the commit, off the message path
			}
		})
	}
}
