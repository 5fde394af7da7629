package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// The routing side of the pages in headless Chromium, against the real
// server: a waiting seeker's place, estimate and reading; a closed service;
// offers, status, capacity and the team in the console; transfers; silent
// watching; a deleted conversation leaving the console. Spanish runs on the
// memory store and English on PostgreSQL, as in browser_test.go. Expected
// texts come from the server's own translation tables, so the tests check
// that the right message shows, in the right language.

// uiStores is the language each store is tested in.
var uiStores = map[string]string{"es": "memory", "en": "postgres"}

// uiBrowse is browse with a failure report that reads like the screen: the
// visible text of the page and the live status lines, not its markup.
func uiBrowse(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		screen, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const m = document.querySelector('main');
			const status = ['connection', 'console-status', 'chat-status', 'chat-notice']
				.map((id) => document.getElementById(id)).filter(Boolean)
				.map((n) => '#' + n.id + ': ' + n.textContent.trim()).join('\n');
			return status + '\n---\n' + (m ? m.innerText : '');
		})()`))
		t.Fatalf("%s: %v\nscreen:\n%.6000s", what, err, screen)
	}
}

// uiTexts fetches the translation table the pages use.
func uiTexts(t *testing.T, srv *servertest.Server, lang string) map[string]string {
	t.Helper()
	res, err := http.Get(srv.URL + "/i18n/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var table map[string]string
	if err := json.NewDecoder(res.Body).Decode(&table); err != nil {
		t.Fatal(err)
	}
	return table
}

// uiTr is the page's t(): the text for key with {name} placeholders filled.
func uiTr(t *testing.T, table map[string]string, key string, args ...any) string {
	t.Helper()
	s, ok := table[key]
	if !ok {
		t.Fatalf("no translation for %q", key)
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i].(string)+"}", fmt.Sprint(args[i+1]))
	}
	return s
}

func uiJS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// uiWait waits until a JavaScript expression is true (polling, which works
// in background tabs too, unlike requestAnimationFrame).
func uiWait(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
}

// uiTextIs waits until the element's trimmed text is exactly want.
func uiTextIs(sel, want string) chromedp.Action[chromedp.Void] {
	return uiWait(`(() => { const n = document.querySelector(` + uiJS(sel) + `); return !!n && n.textContent.trim() === ` + uiJS(want) + `; })()`)
}

// uiSomeTextIs waits until one of the elements matching sel has the text want.
func uiSomeTextIs(sel, want string) chromedp.Action[chromedp.Void] {
	return uiWait(`Array.from(document.querySelectorAll(` + uiJS(sel) + `)).some((n) => n.textContent.trim() === ` + uiJS(want) + `)`)
}

// uiNarrow makes a tab as narrow as the smallest phones the pages support.
func uiNarrow() chromedp.Action[chromedp.Void] { return chromedp.EmulateViewport(320, 800) }

// uiNoSidewaysScroll fails the test if the page is wider than its window.
func uiNoSidewaysScroll(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if w := value(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); w > 0 {
		wide := value(t, ctx, "what sticks out", chromedp.Evaluate[string](`(() => {
			const edge = document.documentElement.clientWidth;
			return Array.from(document.querySelectorAll('body *')).filter((n) => n.getBoundingClientRect().right > edge + 0.5 && n.offsetParent !== null)
				.filter((n, _, all) => !all.some((c) => c !== n && n.contains(c))).slice(0, 5)
				.map((n) => n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') + (n.className ? '.' + String(n.className).split(' ').join('.') : '') +
					' right=' + Math.round(n.getBoundingClientRect().right) + ' "' + n.textContent.trim().slice(0, 60) + '"').join('; ');
		})()`))
		t.Errorf("%s: the page is %d px wider than a 320 px screen (sticking out: %s)", what, w, wide)
	}
}

func uiCount(sel string) chromedp.Action[int] {
	return chromedp.Evaluate[int](`document.querySelectorAll(` + uiJS(sel) + `).length`)
}

// uiChoose sets a select's value as a person would, with a change event.
func uiChoose(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector(` + uiJS(sel) + `);
		s.value = ` + uiJS(v) + `; s.dispatchEvent(new Event('change', {bubbles: true})); })()`)
}

// uiSeekerStarts walks a seeker from the introduction into the chat,
// answering the language question with language ("" for "prefer not to say").
func uiSeekerStarts(t *testing.T, ctx context.Context, srv *servertest.Server, lang, audience, language string) {
	t.Helper()
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(srv.URL + "/"),
		visible("#intro"),
		chooseLanguage(lang),
		uiWait(`document.documentElement.lang === ` + uiJS(lang)),
		click("#start-prechat"),
		visible("#prechat"),
		click(`input[name="audience"][value="` + audience + `"]`),
	}
	// The page preselects its own language; "" answers "prefer not to say".
	steps = append(steps, uiChoose("#language", language), click("#start-chat"), visible("#chat"))
	uiBrowse(t, ctx, "seeker starts a conversation", steps...)
}

// uiSignIn signs a staff member in to the console.
func uiSignIn(t *testing.T, ctx context.Context, srv *servertest.Server, lang, username, password string) {
	t.Helper()
	uiBrowse(t, ctx, username+" signs in to the console",
		chromedp.Navigate(srv.URL+"/console"),
		visible("#login"),
		chooseLanguage(lang),
		uiWait(`document.documentElement.lang === `+uiJS(lang)),
		typeInto("#username", username),
		typeInto("#password", password),
		click("#login-submit"),
		visible("#workspace"),
		uiWait(`document.getElementById('connection').dataset.state === 'connected'`))
}

func TestBrowserSeekerWaitsWithPlaceEstimateAndReading(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	for lang, store := range uiStores {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			tr := uiTexts(t, srv, lang)
			browser := mustBrowser(t)
			first, second := tab(t, browser), tab(t, browser)
			uiBrowse(t, first, "a small phone", uiNarrow())

			// The first seeker asks for this language; no counsellor is on shift yet.
			uiSeekerStarts(t, first, srv, lang, "self", lang)
			uiBrowse(t, first, "first seeker sees their place, an honest estimate and reading",
				visible("#queue-position"),
				uiTextIs("#position-place", uiTr(t, tr, "chat.position_next")),
				uiTextIs("#position-estimate", uiTr(t, tr, "chat.estimate_unknown")),
				uiTextIs("#position-note", uiTr(t, tr, "chat.none_on_shift")),
				visible("#position-note"),
				visible("#selfhelp"),
				visible("#selfhelp-articles details.article summary"))
			estimate := value(t, first, "estimate", textOf("#position-estimate"))
			if honest := map[string]string{"es": "no sabemos", "en": "don't know yet"}[lang]; !strings.Contains(estimate, honest) {
				t.Errorf("estimate %q does not say %q", estimate, honest)
			}
			if n := value(t, first, "articles", uiCount("#selfhelp-articles details.article")); n < 2 {
				t.Errorf("%d self-help articles shown", n)
			}
			// Reading opens with the keyboard-friendly <details>; its text is there.
			uiBrowse(t, first, "first seeker opens an article",
				click("#selfhelp-articles details.article summary"),
				visible("#selfhelp-articles details.article[open] p"))
			uiNoSidewaysScroll(t, first, "waiting seeker")

			uiSeekerStarts(t, second, srv, lang, "", "")
			uiBrowse(t, second, "second seeker sees position 2",
				visible("#queue-position"),
				uiTextIs("#position-place", uiTr(t, tr, "chat.position", "position", 2)),
				uiTextIs("#position-estimate", uiTr(t, tr, "chat.estimate_unknown")))
			uiBrowse(t, first, "first seeker is still next", uiTextIs("#position-place", uiTr(t, tr, "chat.position_next")))

			// A counsellor who does not speak the first seeker's language comes on
			// shift: the note changes from "no one online" to the language fallback.
			other := map[string]string{"es": "en", "en": "es"}[lang]
			password := srv.MustCounselor(t, "ines", 2, servertest.Skills{Languages: []string{other}})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			in, err := chatclient.Login(ctx, srv.URL, "ines", password)
			if err != nil {
				t.Fatal(err)
			}
			staff, err := chatclient.Dial(ctx, srv.URL, in.Token)
			if err != nil {
				t.Fatal(err)
			}
			defer staff.WS.CloseNow()
			uiBrowse(t, first, "first seeker hears no one speaks their language yet",
				uiTextIs("#position-note", uiTr(t, tr, "chat.language_fallback")),
				uiTextIs("#position-estimate", uiTr(t, tr, "chat.estimate_unknown")))
			uiBrowse(t, second, "second seeker, with no language chosen, has no note", chromedp.WaitNotVisible(chromedp.CSS("#position-note")))
		})
	}
}

func TestBrowserClosedServiceShowsAlternatives(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	now := time.Now().UTC()
	// Today and tomorrow, so that a run across midnight stays closed.
	holidays := now.Format(time.DateOnly) + "," + now.Add(24*time.Hour).Format(time.DateOnly)
	for lang, store := range uiStores {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			browser := mustBrowser(t)

			alternatives := filepath.Join(t.TempDir(), "alternatives.json")
			os.WriteFile(alternatives, []byte(`[{"name": {"es": "Línea de crisis 24 h", "en": "24-hour crisis line"},
				"description": {"es": "Si estás en crisis ahora.", "en": "If you are in crisis now."}, "phone": "+34 900 000 000", "hours": {"es": "24 h", "en": "24 h"}},
				{"name": {"es": "Programa de autoayuda", "en": "Self-help programme"}, "url": "https://example.org/self-help"}]`), 0o600)
			noOne := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_ROUTING": "offer", "HELPLINE_REQUIRE_COUNSELOR": "true",
				"HELPLINE_ALTERNATIVES_FILE": alternatives}})
			tr := uiTexts(t, noOne, lang)
			seeker := tab(t, browser)
			uiBrowse(t, seeker, "no counsellor on shift: Continue leads to the alternatives",
				chromedp.Navigate(noOne.URL+"/"),
				visible("#intro"),
				chooseLanguage(lang),
				uiWait(`document.documentElement.lang === `+uiJS(lang)),
				// The first screen says who runs the service.
				uiTextIs("#intro .org strong", uiTr(t, tr, "org.name")),
				click("#start-prechat"),
				visible("#closed"),
				uiTextIs("#closed-reason", uiTr(t, tr, "closed.no_counselor")),
				uiSomeTextIs("#closed p", uiTr(t, tr, "closed.alternatives")),
				chromedp.WaitNotVisible(chromedp.CSS("#closed-next")),
				// The deployment's own alternatives, clickable, and the self-help reading.
				visible("#closed-alternatives"),
				uiSomeTextIs("#closed-alternatives a", map[string]string{"es": "Programa de autoayuda", "en": "Self-help programme"}[lang]),
				uiWait(`!!document.querySelector('#closed-alternatives a[href="tel:+34900000000"]')`),
				uiWait(`!!document.querySelector('#closed-alternatives a[href="https://example.org/self-help"]')`),
				visible("#closed-selfhelp"),
				uiWait(`document.querySelectorAll('#closed-selfhelp-articles details').length > 0`))
			if n := value(t, seeker, "pre-chat shown", uiCount("#prechat:not([hidden])")); n != 0 {
				t.Fatal("the pre-chat questions show although the service is closed")
			}
			uiBrowse(t, seeker, "checking again keeps the alternatives", click("#closed-retry"), visible("#closed"))

			holiday := servertest.Start(t, store, servertest.Options{Env: map[string]string{
				"HELPLINE_OPENING_HOURS": "always", "HELPLINE_HOLIDAYS": holidays, "HELPLINE_REQUIRE_COUNSELOR": "false"}})
			seeker = tab(t, browser)
			uiBrowse(t, seeker, "a holiday: Continue leads to the opening-hours reason",
				chromedp.Navigate(holiday.URL+"/"),
				visible("#intro"),
				chooseLanguage(lang),
				uiWait(`document.documentElement.lang === `+uiJS(lang)),
				click("#start-prechat"),
				visible("#closed"),
				uiTextIs("#closed-reason", uiTr(t, tr, "closed.hours")),
				uiSomeTextIs("#closed p", uiTr(t, tr, "closed.alternatives")),
				visible("#closed-next"))
			next := value(t, seeker, "next opening", textOf("#closed-next"))
			if prefix, _, _ := strings.Cut(uiTr(t, tr, "closed.hours_next"), "{when}"); !strings.HasPrefix(next, prefix) || len(next) <= len(prefix) {
				t.Errorf("next opening reads %q", next)
			}
		})
	}
}

func TestBrowserConsoleOfferStatusCapacityAndTeam(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	for lang, store := range uiStores {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{
				"HELPLINE_ROUTING": "offer", "HELPLINE_REQUIRE_COUNSELOR": "true", "HELPLINE_OFFER_TIMEOUT": "20s"}})
			tr := uiTexts(t, srv, lang)
			password := srv.MustAccount(t, "marta", "Marta", chat.RoleCounselor, 2)
			browser := mustBrowser(t)
			console := tab(t, browser)
			uiSignIn(t, console, srv, lang, "marta", password)
			uiBrowse(t, console, "the team shows Marta, available, with room",
				visible("#presence-box"),
				visible("#team li.me"),
				uiTextIs("#team li.me .team-name", "Marta"),
				uiTextIs("#team li.me .team-status", uiTr(t, tr, "console.presence_available")),
				uiTextIs("#team li.me .team-load", uiTr(t, tr, "console.capacity", "active", 0, "capacity", 2)),
				uiTextIs("#staff-capacity", uiTr(t, tr, "console.capacity", "active", 0, "capacity", 2)))
			// Capacity runs from 1 to the supervisor's maximum (5 for these accounts).
			if n := value(t, console, "capacity choices", uiCount("#capacity option")); n != 5 {
				t.Errorf("%d capacity choices, want 5", n)
			}

			// A seeker arrives through the HTTP API now that someone is on shift.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var started chatclient.Started
			for {
				var err error
				started, err = chatclient.StartConversation(ctx, srv.URL, "self", lang, "Valencia")
				var se *chatclient.StatusError
				if err == nil {
					break
				}
				if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable || ctx.Err() != nil {
					t.Fatalf("starting a conversation: %v", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			seeker, err := chatclient.Dial(ctx, srv.URL, started.Token)
			if err != nil {
				t.Fatal(err)
			}
			defer seeker.WS.CloseNow()
			if _, err := seeker.Sync(ctx, started.ConversationID, 0); err != nil {
				t.Fatal(err)
			}
			if err := seeker.Send(ctx, map[string]any{"type": "send", "conversation_id": started.ConversationID, "client_id": "s1", "body": "Hola, ¿hay alguien?"}); err != nil {
				t.Fatal(err)
			}

			uiBrowse(t, console, "the offer shows and Marta accepts it",
				visible("#offers-panel"),
				visible("#offers button.accept"),
				uiSomeTextIs("#offers .q-region", "Valencia"),
				uiTextIs("#console-status", uiTr(t, tr, "console.offer_new")),
				uiWait(`document.title.startsWith('(1) ')`),
				click("#offers button.accept"),
				visible("#conversation"),
				visible("#c-composer"),
				visible("#c-messages li.from-seeker"),
				chromedp.WaitNotVisible(chromedp.CSS("#offers-panel")),
				// "You have an offer" goes with the offer; the conversation has a label of its own.
				uiWait(`document.getElementById('console-status').dataset.i18n !== 'console.offer_new'`),
				uiTextIs("#conversations .tab-label", uiTr(t, tr, "console.conversation_label_place", "n", 1, "place", "Valencia", "minutes", 0)),
				uiTextIs("#c-heading", uiTr(t, tr, "console.conversation_label_place", "n", 1, "place", "Valencia", "minutes", 0)),
				uiTextIs("#c-id", started.ConversationID),
				uiTextIs("#staff-capacity", uiTr(t, tr, "console.capacity", "active", 1, "capacity", 2)))
			uiBrowse(t, console, "Marta replies",
				typeInto("#c-compose", "Hola, soy Marta. Estoy aquí."),
				click("#c-send"),
				visible(`#c-messages li.from-counselor[data-state="delivered"]`))
			if _, err := seeker.WaitFor(ctx, func(f chatclient.Frame) bool {
				return f.Type == "message" && f.Sender == "counselor" && strings.Contains(f.Body, "soy Marta")
			}); err != nil {
				t.Fatalf("the seeker did not get the reply: %v", err)
			}

			uiBrowse(t, console, "Marta sets herself busy; the team list says so",
				uiChoose("#presence", "busy"),
				visible(`#team li.me[data-status="busy"]`),
				uiTextIs("#team li.me .team-status", uiTr(t, tr, "console.presence_busy")),
				uiTextIs("#team li.me .team-load", uiTr(t, tr, "console.capacity", "active", 1, "capacity", 2)))
			uiBrowse(t, console, "Marta chooses three conversations at once",
				uiChoose("#capacity", "3"),
				uiTextIs("#staff-capacity", uiTr(t, tr, "console.capacity", "active", 1, "capacity", 3)),
				uiTextIs("#team li.me .team-load", uiTr(t, tr, "console.capacity", "active", 1, "capacity", 3)),
				uiTextIs("#console-status", uiTr(t, tr, "console.capacity_set", "capacity", 3)),
				uiTextIs("#team li.me .team-status", uiTr(t, tr, "console.presence_busy")))
			// Counsellors don't get the supervisors' watch form.
			if n := value(t, console, "watch form", uiCount("#watch-panel:not([hidden])")); n != 0 {
				t.Error("a counsellor sees the watch form")
			}
			// The choice holds over a reload (the server keeps it).
			uiBrowse(t, console, "after a reload status and capacity are as chosen",
				chromedp.Reload(),
				visible("#conversation"),
				visible(`#team li.me[data-status="busy"]`),
				uiWait(`document.getElementById('capacity').value === '3' && document.getElementById('presence').value === 'busy'`))
		})
	}
}

func TestBrowserTransferToColleagueAndBackToQueue(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	for lang, store := range uiStores {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store)
			tr := uiTexts(t, srv, lang)
			anaPassword := srv.MustAccount(t, "ana", "Ana", chat.RoleCounselor, 2)
			luisPassword := srv.MustAccount(t, "luis", "Luis", chat.RoleCounselor, 2)
			browser := mustBrowser(t)
			seeker, ana, luis := tab(t, browser), tab(t, browser), tab(t, browser)
			uiBrowse(t, ana, "Ana works on a small phone", uiNarrow())

			uiSeekerStarts(t, seeker, srv, lang, "other", "")
			uiBrowse(t, seeker, "seeker writes",
				typeInto("#compose", "Me preocupa mi hermano."),
				click("#send"),
				visible(`#messages li.from-seeker[data-state="delivered"]`))

			uiSignIn(t, ana, srv, lang, "ana", anaPassword)
			uiBrowse(t, ana, "Ana accepts from the queue",
				visible("#queue button.accept"),
				click("#queue button.accept"),
				visible("#c-composer"),
				visible("#c-messages li.from-seeker"))
			uiBrowse(t, seeker, "seeker sees Ana", uiTextIs("#chat-status", uiTr(t, tr, "chat.status_active", "name", "Ana")))

			// With no colleague on shift, only the queue can be chosen.
			uiBrowse(t, ana, "Ana opens the transfer form alone on shift",
				click("#c-transfer"),
				visible("#c-transfer-form"),
				visible("#c-transfer-nobody"),
				visible("#c-transfer-skill"),
				chromedp.WaitNotVisible(chromedp.CSS("#c-transfer-to")),
				click("#c-transfer-cancel"),
				chromedp.WaitNotVisible(chromedp.CSS("#c-transfer-form")))

			uiSignIn(t, luis, srv, lang, "luis", luisPassword)
			uiBrowse(t, ana, "Ana sees Luis on shift and transfers to him with a note",
				uiSomeTextIs("#team .team-name", "Luis"),
				click("#c-transfer"),
				visible("#c-transfer-form"),
				visible("#c-transfer-to"),
				uiWait(`document.querySelector('#c-transfer-kind-colleague').checked`),
				uiSomeTextIs("#c-transfer-to option", uiTr(t, tr, "console.transfer_colleague_option", "name", "Luis", "active", 0, "capacity", 2)),
				typeInto("#c-transfer-note", "Su hermano tiene 15 años; ya hablamos de pedir ayuda."))
			uiNoSidewaysScroll(t, ana, "console with the transfer form open")
			uiBrowse(t, ana, "Ana sends the transfer",
				click("#c-transfer-submit"),
				uiTextIs("#console-status", uiTr(t, tr, "console.transfer_done_colleague", "name", "Luis")),
				chromedp.WaitNotVisible(chromedp.CSS("#conversation")),
				visible("#conversations-empty"))
			if n := value(t, ana, "Ana's conversations", uiCount("#conversations li")); n != 0 {
				t.Fatalf("Ana still lists %d conversations", n)
			}

			uiBrowse(t, luis, "Luis has the conversation, its history and Ana's note",
				visible("#conversation"),
				visible("#c-composer"),
				visible("#c-notes"),
				uiSomeTextIs("#c-notes-list .note-body", "Su hermano tiene 15 años; ya hablamos de pedir ayuda."),
				uiSomeTextIs("#c-messages li.from-seeker .msg-body", "Me preocupa mi hermano."),
				uiSomeTextIs("#c-messages li.from-system .msg-body", uiTr(t, tr, "console.system_transferred", "name", "Luis")),
				uiTextIs("#console-status", uiTr(t, tr, "console.transferred_in")))
			uiBrowse(t, seeker, "seeker sees that Luis continues, and never the note",
				uiSomeTextIs("#messages li.from-system .msg-body", uiTr(t, tr, "chat.system_transferred", "name", "Luis")),
				uiTextIs("#chat-status", uiTr(t, tr, "chat.status_active", "name", "Luis")))
			if page := value(t, seeker, "seeker page", chromedp.Evaluate[string](`document.body.textContent`)); strings.Contains(page, "15 años") {
				t.Fatal("the handover note reached the seeker")
			}
			uiBrowse(t, luis, "Luis writes",
				typeInto("#c-compose", "Hola, soy Luis. Sigo yo contigo."),
				click("#c-send"),
				visible(`#c-messages li.from-counselor[data-state="delivered"]`))
			uiBrowse(t, seeker, "seeker reads Luis", uiSomeTextIs("#messages li.from-counselor .msg-body", "Hola, soy Luis. Sigo yo contigo."))

			// Luis hands it back to the queue: the seeker waits again, kindly told,
			// with their place shown.
			uiBrowse(t, luis, "Luis sends it back to the queue",
				click("#c-transfer"),
				visible("#c-transfer-form"),
				click("#c-transfer-kind-queue"),
				visible("#c-transfer-skill"),
				uiWait(`document.querySelector('#c-transfer-skill').value === 'other'`),
				click("#c-transfer-submit"),
				uiTextIs("#console-status", uiTr(t, tr, "console.transfer_done_queue")),
				chromedp.WaitNotVisible(chromedp.CSS("#conversation")))
			uiBrowse(t, seeker, "seeker is back in the queue",
				uiSomeTextIs("#messages li.from-system .msg-body", uiTr(t, tr, "chat.system_requeued_transferred")),
				uiTextIs("#chat-status", uiTr(t, tr, "chat.status_waiting")),
				visible("#queue-position"),
				uiTextIs("#position-place", uiTr(t, tr, "chat.position_next")),
				visible("#waiting-help"))
			uiBrowse(t, ana, "Ana sees it waiting in the queue", visible("#queue button.accept"))
		})
	}
}

func TestBrowserSupervisorWatchesAndDeletionClearsTheConsole(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	const lang = "es"
	srv := servertest.Start(t, uiStores[lang])
	tr := uiTexts(t, srv, lang)
	password := srv.MustAccount(t, "marta", "Marta", chat.RoleCounselor, 2)
	supervisorPassword := srv.MustAccount(t, "sara", "Sara", chat.RoleSupervisor, 1)
	browser := mustBrowser(t)
	seeker, console, supervisor := tab(t, browser), tab(t, browser), tab(t, browser)

	uiSeekerStarts(t, seeker, srv, lang, "self", "")
	uiBrowse(t, seeker, "seeker writes",
		typeInto("#compose", "Necesito hablar."),
		click("#send"),
		visible(`#messages li.from-seeker[data-state="delivered"]`))
	uiSignIn(t, console, srv, lang, "marta", password)
	uiBrowse(t, console, "Marta accepts", visible("#queue button.accept"), click("#queue button.accept"), visible("#c-id"))
	reference := value(t, console, "reference", textOf("#c-id"))

	uiSignIn(t, supervisor, srv, lang, "sara", supervisorPassword)
	uiBrowse(t, supervisor, "a wrong reference is refused kindly",
		visible("#watch-form"),
		typeInto("#watch-id", "no es una referencia"),
		click("#watch-submit"),
		uiTextIs("#console-status", uiTr(t, tr, "console.watch_invalid")))
	uiBrowse(t, supervisor, "Sara watches by reference, read-only",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('watch-id').value = ''`),
		typeInto("#watch-id", reference),
		click("#watch-submit"),
		visible("#conversation"),
		visible("#c-watching"),
		uiTextIs("#c-watching", uiTr(t, tr, "console.watching")),
		uiSomeTextIs("#c-messages li.from-seeker .msg-body", "Necesito hablar."),
		chromedp.WaitNotVisible(chromedp.CSS("#c-composer")),
		uiTextIs("#c-status", uiTr(t, tr, "console.status_active_with", "name", "Marta")))
	uiBrowse(t, console, "Marta writes", typeInto("#c-compose", "Te leo."), click("#c-send"))
	uiBrowse(t, supervisor, "Sara reads it live", uiSomeTextIs("#c-messages li.from-counselor .msg-body", "Te leo."))

	// The seeker ends and deletes the conversation: both consoles drop its words.
	uiBrowse(t, seeker, "seeker ends and deletes",
		click("#end-chat"), visible("#end-confirm-yes"), click("#end-confirm-yes"),
		visible("#closing"), click("#delete-chat"), visible("#delete-confirm-yes"), click("#delete-confirm-yes"),
		visible("#intro-notice"))
	for name, ctx := range map[string]context.Context{"counsellor": console, "supervisor": supervisor} {
		uiBrowse(t, ctx, name+" sees the conversation deleted, with nothing of it left",
			uiTextIs("#c-heading", uiTr(t, tr, "console.deleted_heading")),
			uiTextIs("#c-status", uiTr(t, tr, "console.ended_deleted")),
			chromedp.WaitNotVisible(chromedp.CSS("#c-details")))
		if n := value(t, ctx, name+" messages", uiCount("#c-messages li")); n != 0 {
			t.Errorf("%s still shows %d messages", name, n)
		}
		if page := value(t, ctx, name+" page", chromedp.Evaluate[string](`document.body.textContent`)); strings.Contains(page, "Necesito hablar") || strings.Contains(page, "Te leo") {
			t.Errorf("%s still shows the deleted words", name)
		}
	}
}
