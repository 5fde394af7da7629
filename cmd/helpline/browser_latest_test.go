package main

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// TestBrowserOnlyTheLatestAnswerDraws: the staff pages' loads and searches
// go through latestOnly (web/static/lib/latest.js). Two requests whose
// answers come back in the other order must leave the newer one drawn, and
// cancel must drop every answer still to come.
func TestBrowserOnlyTheLatestAnswerDraws(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory")
	browser := mustBrowser(t)
	page := tab(t, browser)
	browse(t, page, "the console loads", chromedp.Navigate(srv.URL+"/console"), visible("#login"))

	drawn := value(t, page, "answers out of order", chromedp.Evaluate[[]string](`(async () => {
		const { latestOnly } = await import('/static/lib/latest.js');
		const loads = latestOnly();
		const drawn = [];
		// load asks for what, and draws the answer when it comes, if it is still the latest.
		const load = (what) => {
			const isLatest = loads.begin();
			let answer;
			const done = new Promise((resolve) => { answer = resolve; })
				.then(() => { if (isLatest()) drawn.push(what); });
			return { answer, done };
		};
		const older = load('older'), newer = load('newer');
		newer.answer(); await newer.done;
		older.answer(); await older.done; // the slower, older answer arrives last
		const first = load('first-in-order');
		first.answer(); await first.done; // one at a time: each draws
		const dropped = load('cancelled');
		loads.cancel();
		dropped.answer(); await dropped.done;
		return drawn;
	})()`, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	want := []string{"newer", "first-in-order"}
	if len(drawn) != len(want) || drawn[0] != want[0] || drawn[1] != want[1] {
		t.Fatalf("drawn %q, want %q: an older answer drew over a newer one, or a cancelled one drew", drawn, want)
	}
}

// holdSecondSignIn makes the page's first sign-in request fail as if the
// network were down (so the console keeps trying) and holds the second, the
// retry, until window.releaseHeld() is called; window.heldDone turns true
// once the page has read the held answer and done all it does with it.
const holdSecondSignIn = `(() => {
	const real = window.fetch;
	let n = 0;
	window.held = null;
	window.heldDone = false;
	window.fetch = (url, opts) => {
		if (!String(url).endsWith('/api/staff/login')) return real(url, opts);
		n++;
		if (n === 1) return Promise.reject(new TypeError('Failed to fetch'));
		if (n > 2) return real(url, opts);
		return new Promise((resolve, reject) => {
			window.held = () => real(url, opts).then((r) => resolve({
				ok: r.ok, status: r.status, headers: r.headers,
				// What the page does with the answer once read is done in the
				// same task; the flag turns after it, in the next one.
				json: async () => { const d = await r.json(); setTimeout(() => { window.heldDone = true; }, 0); return d; },
			}), reject);
		});
	};
	window.releaseHeld = () => window.held();
})()`

// TestBrowserAnOlderSignInDoesNotGoOnAfterANewerOne: a sign-in still being
// retried when the person signs in again must not go on when its answer
// comes last, even though that answer is a success: what was typed since
// decides. Here the newer attempt has a wrong password and is refused; the
// older one, with the right password, answers after it.
func TestBrowserAnOlderSignInDoesNotGoOnAfterANewerOne(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory")
	password := srv.MustAccount(t, "lucia", "Lucía", chat.RoleCounselor, 2)
	tr := uiTexts(t, srv, "en")
	browser := mustBrowser(t)
	console := tab(t, browser)
	uiBrowse(t, console, "the first sign-in can't reach the service and keeps trying",
		chromedp.Navigate(srv.URL+"/console"),
		visible("#login"),
		chooseLanguage("en"),
		chromedp.Evaluate[chromedp.Void](holdSecondSignIn),
		typeInto("#username", "lucia"),
		typeInto("#password", password),
		click("#login-submit"),
		visible("#login-waiting"),
		uiWait(`!document.getElementById('login-submit').disabled`),
		uiWait(`window.held !== null`)) // its retry is under way, its answer held
	uiBrowse(t, console, "a newer sign-in, with a wrong password, is refused",
		chromedp.SetValue(chromedp.CSS("#password"), "not the password"),
		click("#login-submit"),
		uiTextIs("#login-error", tr["console.login_failed"]))
	uiBrowse(t, console, "the older sign-in's success comes last",
		chromedp.Evaluate[chromedp.Void](`window.releaseHeld()`),
		uiWait(`window.heldDone`))
	state := value(t, console, "what the page shows", chromedp.Evaluate[map[string]any](`({
		workspace: !document.getElementById('workspace').hidden,
		login: !document.getElementById('login').hidden,
		saved: sessionStorage.getItem('helpline.staff') !== null,
		error: document.getElementById('login-error').hidden ? '' : document.getElementById('login-error').textContent,
	})`))
	if state["workspace"] != false || state["login"] != true || state["saved"] != false {
		t.Fatalf("after the older sign-in answered last: %v; want the sign-in form still shown, no session kept", state)
	}
	if state["error"] != tr["console.login_failed"] {
		t.Fatalf("the newer sign-in's refusal reads %q, want %q", state["error"], tr["console.login_failed"])
	}
}

// holdFirstSignIn holds the page's first sign-in request until
// window.releaseHeld(), counts the sign-in requests sent and the sockets
// the page opens; window.heldDone as in holdSecondSignIn.
const holdFirstSignIn = `(() => {
	const real = window.fetch;
	const RealSocket = window.WebSocket;
	window.signIns = 0;
	window.sockets = 0;
	window.held = null;
	window.heldDone = false;
	window.WebSocket = function (...args) { window.sockets++; return new RealSocket(...args); };
	Object.assign(window.WebSocket, RealSocket);
	window.WebSocket.prototype = RealSocket.prototype;
	window.fetch = (url, opts) => {
		if (!String(url).endsWith('/api/staff/login')) return real(url, opts);
		if (++window.signIns > 1) return real(url, opts);
		return new Promise((resolve, reject) => {
			window.held = () => real(url, opts).then((r) => resolve({
				ok: r.ok, status: r.status, headers: r.headers,
				json: async () => { const d = await r.json(); setTimeout(() => { window.heldDone = true; }, 0); return d; },
			}), reject);
		});
	};
	window.releaseHeld = () => window.held();
})()`

// TestBrowserSupervisorSignsInOnceWhenAskedTwice: Enter pressed again while
// the sign-in is under way neither sends a second sign-in nor, when both
// answers come, starts the page twice: two sockets, the first never stopped
// (it went on drawing summaries after signing out) and its session at the
// server never signed out.
func TestBrowserSupervisorSignsInOnceWhenAskedTwice(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	srv := servertest.Start(t, "memory")
	password := srv.MustAccount(t, "sam", "Sam", chat.RoleSupervisor, 3)
	browser := mustBrowser(t)
	page := tab(t, browser)
	listenForPageErrors(t, page, "supervisor page")
	uiBrowse(t, page, "the supervisor signs in, the answer slow to come",
		chromedp.Navigate(srv.URL+"/supervisor"),
		visible("#login"),
		chooseLanguage("es"),
		chromedp.Evaluate[chromedp.Void](holdFirstSignIn),
		typeInto("#username", "sam"),
		typeInto("#password", password),
		click("#login-submit"),
		uiWait(`window.held !== null`),
		typeInto("#password", kb.Enter), // again, impatient
		chromedp.Evaluate[chromedp.Void](`window.releaseHeld()`),
		uiWait(`window.heldDone`),
		visible("#workspace"),
		uiWait(`document.getElementById('connection').dataset.state === 'connected'`))
	got := value(t, page, "what the page did", chromedp.Evaluate[map[string]int](`({signIns: window.signIns, sockets: window.sockets})`))
	if got["signIns"] != 1 || got["sockets"] != 1 {
		t.Fatalf("signing in once, with Enter pressed again meanwhile: %v; want 1 sign-in request and 1 socket", got)
	}
}
