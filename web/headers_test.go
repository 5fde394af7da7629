package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"helpline/chat"
	"helpline/counselors"
	"helpline/routing"
	"helpline/web"
)

// headersEnv is the whole HTTP handler on memory stores, with an admin
// signed in, as a browser or client would meet it.
type headersEnv struct {
	handler http.Handler
	admin   string
	adminID int64
	n       int // requests so far: each comes from its own address
}

func newHeadersEnv(t *testing.T) *headersEnv {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	tokens, err := chat.NewTokens(chat.NewKey("hd"), nil)
	if err != nil {
		t.Fatal(err)
	}
	broker := chat.NewMemoryBroker()
	staff := counselors.NewService(counselors.NewMemoryStore(), tokens, broker, time.Hour, nil, log)
	staff.SetHashParams(&argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	store := chat.NewMemoryStore(nil)
	always, err := routing.ParseHours("always", "", "")
	if err != nil {
		t.Fatal(err)
	}
	router := routing.New(routing.Config{Mode: "pick", Hours: always, Log: log}, routing.NewMemoryStore(), store)
	svc := chat.NewService(chat.Config{Store: store, Broker: broker, Router: router, Tokens: tokens, Staff: staff,
		Log: log, Languages: map[string]bool{"es": true, "en": true}})
	router.SetChat(svc)
	texts, err := web.LoadTexts("", "es")
	if err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery staple"
	a, err := staff.AddAccount(ctx, counselors.NewAccount{Username: "hd-admin", Role: chat.RoleAdmin, Password: password}, 0)
	if err != nil {
		t.Fatal(err)
	}
	token, _, _, err := staff.Login(ctx, "hd-admin", password, "")
	if err != nil {
		t.Fatal(err)
	}
	return &headersEnv{handler: web.NewHandler(web.Config{Chat: svc, Staff: staff, Texts: texts, Log: log, RetentionDays: 30,
		ExitURL: "https://www.google.com/"}), admin: token, adminID: a.ID}
}

func (e *headersEnv) do(t *testing.T, method, path, bearer, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	// Each request from its own address, so that the per-address limits on
	// signing in and starting never answer in place of the endpoint.
	e.n++
	r.RemoteAddr = fmt.Sprintf("198.51.%d.%d:5000", e.n/250, e.n%250)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

// checkSecurityHeaders checks the headers every answer must carry.
func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csps := h.Values("Content-Security-Policy")
	if len(csps) != 1 {
		t.Errorf("%s: %d Content-Security-Policy headers, want 1", what, len(csps))
		return
	}
	directives := map[string][]string{}
	for _, d := range strings.Split(csps[0], ";") {
		fields := strings.Fields(d)
		if len(fields) == 0 {
			continue
		}
		directives[strings.ToLower(fields[0])] = fields[1:]
	}
	for name, sources := range directives {
		for _, s := range sources {
			switch strings.ToLower(s) {
			case "'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:":
				t.Errorf("%s: CSP %s allows %s: %q", what, name, s, csps[0])
			}
		}
	}
	if fa := directives["frame-ancestors"]; len(fa) != 1 || fa[0] != "'none'" {
		t.Errorf("%s: CSP frame-ancestors %v, want 'none': %q", what, fa, csps[0])
	}
	if _, ok := directives["default-src"]; !ok {
		t.Errorf("%s: CSP has no default-src: %q", what, csps[0])
	}
	for _, s := range append(directives["script-src"], directives["style-src"]...) {
		if s == "data:" {
			t.Errorf("%s: CSP allows data: scripts or styles: %q", what, csps[0])
		}
	}
	for name, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
}

func TestEveryAnswerCarriesSecurityHeaders(t *testing.T) {
	e := newHeadersEnv(t)
	ctJSON := "application/json"
	for _, rq := range []struct {
		method, path, bearer string
		body                 string
		status               int
	}{
		{"GET", "/", "", "", 200},
		{"HEAD", "/", "", "", 200},
		{"GET", "/console", "", "", 200},
		{"GET", "/static/seeker.js", "", "", 200},
		{"GET", "/static/console.js", "", "", 200},
		{"GET", "/static/common.js", "", "", 200},
		{"GET", "/static/style.css", "", "", 200},
		{"GET", "/static/", "", "", 0},
		{"GET", "/static/missing.js", "", "", 404},
		{"GET", "/i18n/es.json", "", "", 200},
		{"GET", "/i18n/en.json", "", "", 200},
		{"GET", "/i18n/xx.json", "", "", 404},
		{"GET", "/i18n/es", "", "", 404},
		{"GET", "/api/config", "", "", 200},
		{"GET", "/api/status", "", "", 200},
		{"GET", "/api/selfhelp/es", "", "", 200},
		{"GET", "/api/selfhelp/xx", "", "", 404},
		{"GET", "/healthz", "", "", 200},
		{"GET", "/ws", "", "", 0}, // not an upgrade: refused by the WebSocket library
		{"GET", "/no/such/page", "", "", 404},
		{"DELETE", "/api/config", "", "", 405},
		{"POST", "/api/seeker/conversations", "", `{"audience":"self","language":"es"}`, 201},
		{"POST", "/api/seeker/conversations", "", `{"audience":"pirate"}`, 400},
		{"POST", "/api/seeker/leave", "", `{"token":"forged"}`, 401},
		{"POST", "/api/seeker/delete", "", `{"token":"forged"}`, 401},
		{"POST", "/api/staff/login", "", `{"username":"","password":""}`, 401},
		{"POST", "/api/staff/logout", "", `{}`, 401},
		{"GET", "/api/admin/accounts", "", "", 401},
		{"GET", "/api/admin/accounts", e.admin, "", 200},
		{"POST", "/api/admin/accounts", e.admin, `{"username":"x","role":"nope","password":"correct horse battery"}`, 400},
		{"POST", "/api/admin/accounts/999999/disable", e.admin, `{}`, 404},
		{"POST", "/api/admin/accounts/abc/enable", e.admin, `{}`, 404},
		{"GET", "/api/admin/audit", e.admin, "", 200},
	} {
		what := rq.method + " " + rq.path
		w := e.do(t, rq.method, rq.path, rq.bearer, ctJSON, []byte(rq.body))
		if rq.status != 0 && w.Code != rq.status {
			t.Errorf("%s: status %d, want %d (%s)", what, w.Code, rq.status, w.Body)
		}
		checkSecurityHeaders(t, what, w.Result().Header)
		// Answers that carry credentials or conversation data are never cached.
		if strings.HasPrefix(rq.path, "/api/seeker/") || strings.HasPrefix(rq.path, "/api/staff/") || strings.HasPrefix(rq.path, "/api/admin/") {
			if cc := w.Result().Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", what, cc)
			}
		}
	}
}

// The JSON endpoints and a cheap body each accepts (or refuses for a
// reason that is not the body's shape).
var jsonEndpoints = []struct {
	path  string
	admin bool
	body  string // a well-formed body
	field string // a string field, for wrong-type bodies
}{
	{"/api/seeker/conversations", false, `{"audience":"self","language":"es","region":"Lima"}`, "region"},
	{"/api/seeker/leave", false, `{"token":"x"}`, "token"},
	{"/api/seeker/delete", false, `{"token":"x"}`, "token"},
	{"/api/staff/login", false, `{"username":"","password":""}`, "username"},
	{"/api/admin/accounts", true, `{"username":"body-test","role":"nope","password":"correct horse battery"}`, "display_name"},
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) (code, message string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error answer %q is not JSON: %v", w.Body, err)
	}
	return e.Error.Code, e.Error.Message
}

func TestRequestBodiesAreBoundedAndStrict(t *testing.T) {
	e := newHeadersEnv(t)
	const limit = 64 << 10
	for _, ep := range jsonEndpoints {
		t.Run(strings.TrimPrefix(ep.path, "/api/"), func(t *testing.T) {
			bearer := ""
			if ep.admin {
				bearer = e.admin
			}
			post := func(body []byte, contentType string) *httptest.ResponseRecorder {
				t.Helper()
				w := e.do(t, "POST", ep.path, bearer, contentType, body)
				checkSecurityHeaders(t, "POST "+ep.path, w.Result().Header)
				return w
			}
			wantInvalid := func(what string, body []byte, contentType string) {
				t.Helper()
				w := post(body, contentType)
				if w.Code != http.StatusBadRequest {
					t.Errorf("%s: status %d, want 400 (%.200s)", what, w.Code, w.Body)
					return
				}
				if code, msg := errorCode(t, w); code != "invalid" || msg == "" {
					t.Errorf("%s: error %q %q, want invalid", what, code, msg)
				}
			}
			notABodyError := func(what string, w *httptest.ResponseRecorder) {
				t.Helper()
				if w.Code == http.StatusBadRequest {
					if _, msg := errorCode(t, w); strings.Contains(msg, "body") {
						t.Errorf("%s: refused as a bad body: %s", what, w.Body)
					}
				}
				if w.Code >= 500 {
					t.Errorf("%s: status %d", what, w.Code)
				}
			}

			// Exactly 64 KiB is allowed; one byte more is refused, whether the
			// excess is padding after the object or inside it.
			padded := func(n int) []byte {
				b := []byte(ep.body)
				return append(b, bytes.Repeat([]byte(" "), n-len(b))...)
			}
			notABodyError("body of exactly 64 KiB", post(padded(limit), "application/json"))
			wantInvalid("body of 64 KiB + 1 (padding)", padded(limit+1), "application/json")
			big := `{"` + ep.field + `":"` + strings.Repeat("a", limit) + `"}`
			wantInvalid("body of 64 KiB + 1 (one huge string)", []byte(big), "application/json")
			wantInvalid("body of 1 MiB", bytes.Repeat([]byte("["), 1<<20), "application/json")

			// Well-formed: not refused for its shape (with or without charset).
			notABodyError("well-formed body", post([]byte(ep.body), "application/json; charset=utf-8"))

			// Unknown fields, in any position, are refused.
			withField := func(extra string) []byte {
				return []byte(strings.TrimSuffix(ep.body, "}") + "," + extra + "}")
			}
			wantInvalid("unknown field", withField(`"ip":"203.0.113.9"`), "application/json")
			wantInvalid("unknown field first", []byte(`{"user_agent":"x",`+strings.TrimPrefix(ep.body, "{")), "application/json")
			wantInvalid("unknown nested object", withField(`"extra":{"a":1}`), "application/json")
			wantInvalid("unknown null field", withField(`"remember_me":null`), "application/json")

			// Wrong JSON types are refused.
			for _, v := range []string{`1`, `true`, `["a"]`, `{"a":"b"}`, `1.5`} {
				wantInvalid(ep.field+" = "+v, withField(`"`+ep.field+`":`+v), "application/json")
			}
			for _, body := range []string{`[]`, `"text"`, `42`, `true`, ``, `{`, `{"` + ep.field + `":"a"`, ep.body + ` {}`, ep.body + `x`, `{,}`} {
				wantInvalid("body "+body, []byte(body), "application/json")
			}
			// Not JSON at all.
			wantInvalid("form-encoded", []byte("username=a&password=b"), "application/x-www-form-urlencoded")
			wantInvalid("HTML content type", []byte(ep.body), "text/html")
		})
	}
}
