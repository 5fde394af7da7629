package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/server"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// formBrowser is a browser without JavaScript, over plain HTTP: it keeps
// cookies, does not follow redirects, and keeps each answer's raw headers.
type formBrowser struct {
	t       *testing.T
	srv     *servertest.Server
	cookies map[string]string
	header  http.Header // the last answer's headers
}

func newFormBrowser(t *testing.T, srv *servertest.Server) *formBrowser {
	return &formBrowser{t: t, srv: srv, cookies: map[string]string{}}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (b *formBrowser) do(method, path string, form url.Values, header http.Header) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	b.header = resp.Header
	return resp.StatusCode, string(data)
}

var hiddenField = regexp.MustCompile(`name="(csrf|client_id)" value="([^"]*)"`)

// fields reads a page's hidden form fields.
func fields(page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

// start walks the pre-chat form and returns the chat page.
func (b *formBrowser) start() string {
	b.t.Helper()
	_, page := b.do("GET", "/nojs/start", nil, nil)
	f := fields(page)
	f.Set("audience", "self")
	if status, _ := b.do("POST", "/nojs/start", f, nil); status != http.StatusSeeOther || b.cookies["helpline_seeker"] == "" {
		b.t.Fatalf("starting: %d, cookies %v", status, b.cookies)
	}
	_, page = b.do("GET", "/nojs/chat", nil, nil)
	return page
}

// seekerSetCookie is the raw Set-Cookie line of the seeker cookie in the last answer.
func (b *formBrowser) seekerSetCookie() string {
	for _, line := range b.header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "helpline_seeker=") {
			return line
		}
	}
	return ""
}

func TestNoJSCookieAttributesAndNoStorePages(t *testing.T) {
	for _, https := range []bool{false, true} {
		srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_HSTS": map[bool]string{true: "true", false: "false"}[https]}})
		b := newFormBrowser(t, srv)
		_, page := b.do("GET", "/nojs/start", nil, nil)
		f := fields(page)
		b.do("POST", "/nojs/start", f, nil)
		line := b.seekerSetCookie()
		attrs := map[string]bool{}
		for _, a := range strings.Split(line, ";")[1:] {
			attrs[strings.ToLower(strings.TrimSpace(a))] = true
		}
		if !attrs["httponly"] || !attrs["samesite=strict"] || !attrs["path=/"] || attrs["secure"] != https {
			t.Errorf("https=%v: seeker cookie %q", https, line)
		}
		if strings.Contains(strings.ToLower(line), "expires") || strings.Contains(strings.ToLower(line), "max-age") {
			t.Errorf("the seeker cookie must last the browser session only: %q", line)
		}
		if loc := b.header.Get("Location"); strings.Contains(loc, b.cookies["helpline_seeker"]) {
			t.Errorf("the credential is in a URL: %q", loc)
		}
		cred := b.cookies["helpline_seeker"]
		chat := ""
		for _, p := range []string{"/nojs/", "/nojs/chat", "/nojs/log", "/nojs/end", "/nojs/delete", "/nojs/start"} {
			_, body := b.do("GET", p, nil, nil)
			if p == "/nojs/chat" {
				chat = body
			}
			if cc := b.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("GET %s: Cache-Control %q, want no-store", p, cc)
			}
			if strings.Contains(body, cred) {
				t.Errorf("GET %s: the page holds the credential", p)
			}
		}
		f = fields(chat)
		f.Set("body", "hola")
		for _, p := range []string{"/nojs/send", "/nojs/end", "/nojs/new", "/nojs/start"} {
			b.do("POST", p, f, nil)
			if cc := b.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("POST %s: Cache-Control %q, want no-store", p, cc)
			}
		}
		b.do("GET", "/nojs/exit", nil, nil)
		if cc, clear := b.header.Get("Cache-Control"), b.header.Get("Clear-Site-Data"); cc != "no-store" || !strings.Contains(clear, "cookies") {
			t.Errorf("quick exit: Cache-Control %q, Clear-Site-Data %q", cc, clear)
		}
	}
}

func TestNoJSRefusesForgedForms(t *testing.T) {
	srv := servertest.Start(t, "memory")
	ctx := testCtx(t)
	b := newFormBrowser(t, srv)
	// A start form without its anti-forgery cookie, or with another value.
	for _, jar := range []map[string]string{{}, {"helpline_form": "someone-elses"}} {
		b.cookies = jar
		if status, _ := b.do("POST", "/nojs/start", url.Values{"csrf": {"guess"}, "audience": {"self"}}, nil); status != http.StatusForbidden {
			t.Errorf("forged start: %d", status)
		}
	}
	if n, _ := srv.Chat.WaitingCount(ctx); n != 0 {
		t.Fatalf("a forged start opened %d conversations", n)
	}
	b.cookies = map[string]string{}
	page := b.start()
	good := fields(page)
	other := newFormBrowser(t, srv)
	theirs := fields(other.start())
	cases := []struct {
		what   string
		path   string
		form   url.Values
		header http.Header
	}{
		{"no token", "/nojs/send", url.Values{"client_id": {"a1"}, "body": {"x"}}, nil},
		{"another conversation's token", "/nojs/send", url.Values{"csrf": theirs["csrf"], "client_id": {"a2"}, "body": {"x"}}, nil},
		{"from another site", "/nojs/send", url.Values{"csrf": good["csrf"], "client_id": {"a3"}, "body": {"x"}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"end with another's token", "/nojs/end", url.Values{"csrf": theirs["csrf"]}, nil},
		{"delete with no token", "/nojs/delete", url.Values{}, nil},
	}
	for _, c := range cases {
		if status, _ := b.do("POST", c.path, c.form, c.header); status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", c.what, status)
		}
	}
	// Nothing was stored, ended or deleted.
	seeker, err := chatclient.Dial(ctx, srv.URL, b.cookies["helpline_seeker"])
	if err != nil {
		t.Fatal(err)
	}
	defer seeker.Close()
	if ms, err := seeker.Sync(ctx, seeker.Ready.Conversations[0].ID, 0); err != nil || len(ms) != 0 || seeker.Ready.Conversations[0].Status != "waiting" {
		t.Fatalf("after forged forms: %d messages, %s (%v)", len(ms), seeker.Ready.Raw, err)
	}
	// The hand-over doors want JSON from this site's page and the right token.
	json := http.Header{"Content-Type": {"application/json"}}
	for _, c := range []struct {
		what, path string
		body       string
		header     http.Header
	}{
		{"handover as a form", "/nojs/handover", "token=" + b.cookies["helpline_seeker"], http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
		{"handover of a forged credential", "/nojs/handover", `{"token":"eyJ.forged.x"}`, json},
		{"handback without the token", "/nojs/handback", `{"csrf":""}`, json},
		{"handback with another's token", "/nojs/handback", `{"csrf":"` + theirs.Get("csrf") + `"}`, json},
		{"resume as a form", "/nojs/resume", "x=1", http.Header{"Content-Type": {"text/plain"}}},
		{"resume from another site", "/nojs/resume", `{}`, http.Header{"Content-Type": {"application/json"}, "Sec-Fetch-Site": {"same-site"}}},
		{"handback from another site", "/nojs/handback", `{"csrf":"` + good.Get("csrf") + `"}`, http.Header{"Content-Type": {"application/json"}, "Sec-Fetch-Site": {"cross-site"}}},
	} {
		a := call(t, ctx, nil, "POST", srv.URL+c.path, "", []byte(c.body), mergeHeaders(c.header, b.cookieHeader()))
		if a.Status < 400 || a.Status >= 500 || strings.Contains(string(a.Body), b.cookies["helpline_seeker"]) {
			t.Errorf("%s: %d %s", c.what, a.Status, a.Body)
		}
	}
	// The genuine handback gives the credential, to the page that shows the token.
	a := call(t, ctx, nil, "POST", srv.URL+"/nojs/handback", "", []byte(`{"csrf":"`+good.Get("csrf")+`"}`), mergeHeaders(json, b.cookieHeader()))
	if a.Status != 200 || !strings.Contains(string(a.Body), b.cookies["helpline_seeker"]) || a.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("handback: %d %s", a.Status, a.Body)
	}
}

func (b *formBrowser) cookieHeader() http.Header {
	var parts []string
	for k, v := range b.cookies {
		parts = append(parts, k+"="+v)
	}
	return http.Header{"Cookie": {strings.Join(parts, "; ")}}
}

func mergeHeaders(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = v
		}
	}
	return out
}

func TestNoJSBadInputNeverCrashes(t *testing.T) {
	srv := servertest.Start(t, "memory")
	b := newFormBrowser(t, srv)
	good := fields(b.start())
	with := func(kv ...string) url.Values {
		v := url.Values{"csrf": good["csrf"], "client_id": good["client_id"]}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	long := strings.Repeat("é", 4001)
	for _, c := range []struct {
		what   string
		method string
		path   string
		form   url.Values
		keeps  string // the page must still hold this text (the unsent draft)
	}{
		{"body of invalid UTF-8", "POST", "/nojs/send", with("body", "\xff\xfe hola"), ""},
		{"body with NUL", "POST", "/nojs/send", with("body", "a\x00b"), ""},
		{"body too long", "POST", "/nojs/send", with("body", long), long},
		{"bad client id", "POST", "/nojs/send", with("body", "hola", "client_id", "<script>"), "hola"},
		{"overlong client id", "POST", "/nojs/send", with("body", "hola", "client_id", strings.Repeat("a", 65)), "hola"},
		{"huge form", "POST", "/nojs/send", with("body", strings.Repeat("x", 70<<10)), ""},
		{"unknown language", "GET", "/nojs/?lang=%3Cscript%3E", nil, ""},
		{"odd notice", "GET", "/nojs/?notice=%3Cb%3E", nil, ""},
	} {
		status, page := b.do(c.method, c.path, c.form, nil)
		if status >= 500 || status == 0 {
			t.Errorf("%s: %d", c.what, status)
		}
		if c.keeps != "" && !strings.Contains(page, c.keeps) {
			t.Errorf("%s: the unsent text is not kept (%d)", c.what, status)
		}
		if strings.Contains(page, "<script>") || strings.Contains(page, "<b>") {
			t.Errorf("%s: input drawn as markup", c.what)
		}
	}
	// A new browser: bad pre-chat answers and cookies.
	for _, c := range []struct {
		what    string
		cookies map[string]string
		form    url.Values
	}{
		{"unknown audience", nil, url.Values{"audience": {"evil"}}},
		{"unknown language", nil, url.Values{"language": {"xx"}}},
		{"region too long", nil, url.Values{"region": {strings.Repeat("r", 65)}}},
		{"region not UTF-8", nil, url.Values{"region": {"\xff"}}},
		{"garbage seeker cookie", map[string]string{"helpline_seeker": "garbage"}, url.Values{}},
		{"huge seeker cookie", map[string]string{"helpline_seeker": strings.Repeat("a", 5000)}, url.Values{}},
	} {
		nb := newFormBrowser(t, srv)
		for k, v := range c.cookies {
			nb.cookies[k] = v
		}
		_, page := nb.do("GET", "/nojs/start", nil, nil)
		f := fields(page)
		for k, v := range c.form {
			f[k] = v
		}
		if status, _ := nb.do("POST", "/nojs/start", f, nil); status >= 500 {
			t.Errorf("%s: start %d", c.what, status)
		}
		for _, p := range []string{"/nojs/", "/nojs/chat", "/nojs/log", "/nojs/end", "/nojs/exit"} {
			if status, _ := nb.do("GET", p, nil, nil); status >= 500 {
				t.Errorf("%s: GET %s %d", c.what, p, status)
			}
		}
	}
	if status, _ := b.do("GET", "/healthz", nil, nil); status != 200 {
		t.Fatalf("server unwell after bad input: %d", status)
	}
}

func TestOnionLocationIsSentOnEveryPage(t *testing.T) {
	onion := strings.Repeat("abcdefgh", 7) + ".onion"
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_ONION_ADDRESS": onion}})
	plain := servertest.Start(t, "memory")
	b, p := newFormBrowser(t, srv), newFormBrowser(t, plain)
	for _, path := range []string{"/", "/nojs/", "/nojs/start?lang=en", "/console", "/static/style.css", "/api/config"} {
		b.do("GET", path, nil, nil)
		if got, want := b.header.Get("Onion-Location"), "http://"+onion+path; got != want {
			t.Errorf("GET %s: Onion-Location %q, want %q", path, got, want)
		}
		p.do("GET", path, nil, nil)
		if got := p.header.Get("Onion-Location"); got != "" {
			t.Errorf("without an onion address GET %s sends Onion-Location %q", path, got)
		}
	}
	for _, bad := range []string{"example.org", "abc.onion", strings.Repeat("A1", 28) + ".onion"} {
		_, err := server.LoadConfig(func(name string) string {
			if name == "HELPLINE_ONION_ADDRESS" {
				return bad
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), "HELPLINE_ONION_ADDRESS") {
			t.Errorf("HELPLINE_ONION_ADDRESS=%q accepted (%v)", bad, err)
		}
	}
}

// A message that cannot be stored stays in the box, with the same client id,
// and sending it again once the database is back stores it once.
func TestNoJSSendKeepsTheTextWhileTheDatabaseIsAway(t *testing.T) {
	ctx := testCtx(t)
	_, dbURL := migrationstest.MustOpen(t)
	proxy, proxied := servertest.StartProxy(t, dbURL)
	srv := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: proxied})
	b := newFormBrowser(t, srv)
	form := fields(b.start())
	form.Set("body", "sigo aquí, ¿me lees?")

	proxy.Cut()
	status, page := b.do("POST", "/nojs/send", form, nil)
	if status != http.StatusServiceUnavailable || b.header.Get("Retry-After") == "" {
		t.Errorf("send with the database away: %d, Retry-After %q", status, b.header.Get("Retry-After"))
	}
	if !strings.Contains(page, "sigo aquí, ¿me lees?") || fields(page).Get("client_id") != form.Get("client_id") {
		t.Fatalf("the unsent text or its client id is gone from the page:\n%.2000s", page)
	}
	proxy.Restore()
	if !eventually(ctx, 100*time.Millisecond, func() bool {
		status, _ := b.do("POST", "/nojs/send", form, nil)
		return status == http.StatusSeeOther
	}) {
		t.Fatal("the send never went through with the database back")
	}
	b.do("POST", "/nojs/send", form, nil) // a second press of the same form
	if _, log := b.do("GET", "/nojs/log", nil, nil); strings.Count(log, "sigo aquí, ¿me lees?") != 1 {
		t.Fatalf("the message is shown %d times, want once", strings.Count(log, "sigo aquí, ¿me lees?"))
	}
}

func TestNoJSClosedServiceShowsTheAlternatives(t *testing.T) {
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_REQUIRE_COUNSELOR": "true"}})
	b := newFormBrowser(t, srv)
	_, page := b.do("GET", "/nojs/start?lang=en", nil, nil)
	if !strings.Contains(page, `id="closed-reason"`) || !strings.Contains(page, "No counsellor is online") {
		t.Fatalf("closed service, pre-chat page:\n%.1500s", page)
	}
}

var (
	inlineStyle  = regexp.MustCompile(`(?i)<style|\sstyle=`)
	scriptTag    = regexp.MustCompile(`(?i)<script[^>]*>`)
	absoluteLink = regexp.MustCompile(`(?i)\s(href|src|action)="(https?:)?//`)
)

// What Tor Browser at "Safest" would refuse, or CSP would block, is not on
// the pages: no inline style or script, no SVG, no web font, and every
// address a path on this host (the same pages serve an onion address).
func TestNoJSPagesUseNothingSafestBlocks(t *testing.T) {
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{"HELPLINE_EXIT_URL": "https://example.org/"}})
	b := newFormBrowser(t, srv)
	pages := map[string]string{}
	_, pages["/nojs/"] = b.do("GET", "/nojs/", nil, nil)
	_, pages["/nojs/start"] = b.do("GET", "/nojs/start", nil, nil)
	pages["/nojs/chat"] = b.start()
	for _, p := range []string{"/nojs/log", "/nojs/end", "/nojs/delete"} {
		_, pages[p] = b.do("GET", p, nil, nil)
	}
	b.do("POST", "/nojs/end", fields(pages["/nojs/chat"]), nil)
	_, pages["ended"] = b.do("GET", "/nojs/chat", nil, nil)
	for name, page := range pages {
		if m := inlineStyle.FindString(page); m != "" {
			t.Errorf("%s has an inline style: %q", name, m)
		}
		for _, tag := range scriptTag.FindAllString(page, -1) {
			if !strings.Contains(tag, ` src="/static/`) {
				t.Errorf("%s has an inline script: %q", name, tag)
			}
		}
		if strings.Contains(strings.ToLower(page), "<svg") || strings.Contains(page, ".svg") {
			t.Errorf("%s has SVG", name)
		}
		if m := absoluteLink.FindString(page); m != "" {
			t.Errorf("%s has an absolute address: %q", name, m)
		}
	}
	for _, css := range []string{"/static/style.css", "/static/nojs.css"} {
		_, sheet := b.do("GET", css, nil, nil)
		if strings.Contains(sheet, "@font-face") || strings.Contains(sheet, "url(") {
			t.Errorf("%s loads a font or an image", css)
		}
	}
}
