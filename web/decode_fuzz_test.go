package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"helpline/chat"
	"helpline/counselors"
	"helpline/routing"
)

// The fuzz tests here throw arbitrary bodies at the JSON decoding of every
// POST endpoint, directly (decode) and through the whole handler. The seeds
// in testdata/fuzz/<FuzzName> run as a normal test.

// fuzzFieldKind is the JSON type a request field accepts.
type fuzzFieldKind int

const (
	fuzzString fuzzFieldKind = iota
	fuzzInt
	fuzzStrings
)

// fuzzAccountFields are the fields of POST /api/admin/accounts, the widest
// request body: strings, a number and lists.
var fuzzAccountFields = map[string]fuzzFieldKind{"username": fuzzString, "display_name": fuzzString, "role": fuzzString,
	"password": fuzzString, "capacity": fuzzInt, "languages": fuzzStrings, "audiences": fuzzStrings}

type fuzzAccountRequest struct {
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        chat.Role `json:"role"`
	Password    string    `json:"password"`
	Capacity    int       `json:"capacity"`
	Languages   []string  `json:"languages"`
	Audiences   []string  `json:"audiences"`
}

// fuzzBodyAcceptable is an independent statement of what decode must
// accept: one JSON object (or null) of at most 64 KiB of valid UTF-8 whose every member is
// a known field (matched case-insensitively, as encoding/json does) holding
// null or a value of the field's type, and nothing after it but space.
func fuzzBodyAcceptable(body []byte, fields map[string]fuzzFieldKind) bool {
	if len(body) > maxBody || !utf8.Valid(body) || !json.Valid(body) {
		return false
	}
	trimmed := bytes.TrimSpace(body)
	if string(trimmed) == "null" {
		return true
	}
	if trimmed[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	dec.Token() // {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key := tok.(string)
		var value any
		if err := dec.Decode(&value); err != nil {
			return false
		}
		kind, known := fuzzLookupField(fields, key)
		if !known {
			return false
		}
		if value == nil {
			continue
		}
		switch kind {
		case fuzzString:
			if _, ok := value.(string); !ok {
				return false
			}
		case fuzzInt:
			n, ok := value.(json.Number)
			if !ok {
				return false
			}
			if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
				return false
			}
		case fuzzStrings:
			list, ok := value.([]any)
			if !ok {
				return false
			}
			for _, v := range list {
				if _, ok := v.(string); !ok && v != nil {
					return false
				}
			}
		}
	}
	return true
}

func fuzzLookupField(fields map[string]fuzzFieldKind, key string) (fuzzFieldKind, bool) {
	if k, ok := fields[key]; ok {
		return k, true
	}
	for name, k := range fields {
		if strings.EqualFold(name, key) {
			return k, true
		}
	}
	return 0, false
}

// FuzzDecode checks decode against fuzzBodyAcceptable: it accepts exactly
// the bodies it should, and refuses the others with 400 invalid.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"username":"ana","display_name":"Ana","role":"counselor","password":"correct horse battery","capacity":2,"languages":["es"],"audiences":["self","young"]}`))
	f.Add([]byte(`{"capacity":1.5}`))
	f.Add([]byte(`{"languages":"es"}`))
	f.Add([]byte("{\"display_name\":\"Ana\xff\"}"))
	// Bodies over 64 KiB are tested in headers_test.go: as fuzz seeds they
	// make the fuzzer spend its time minimising them.
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/api/admin/accounts", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req fuzzAccountRequest
		ok := decode(w, r, &req)
		want := fuzzBodyAcceptable(body, fuzzAccountFields)
		if ok != want {
			t.Fatalf("decode(%q) = %v, want %v (answer %d %s)", fuzzShort(body), ok, want, w.Code, w.Body.Bytes())
		}
		if ok {
			if w.Body.Len() != 0 {
				t.Fatalf("decode accepted %q but wrote %q", fuzzShort(body), w.Body.Bytes())
			}
			return
		}
		fuzzCheckError(t, w.Result(), w.Body.Bytes(), http.StatusBadRequest, body)
	})
}

// fuzzEnv is a whole HTTP handler on memory stores with one admin signed in.
type fuzzEnv struct {
	handler http.Handler
	admin   string // bearer token
	addr    atomic.Int64
}

var (
	fuzzEnvOnce sync.Once
	fuzzEnvVal  *fuzzEnv
	fuzzEnvErr  error
)

func newFuzzEnv(tb testing.TB) *fuzzEnv {
	tb.Helper()
	fuzzEnvOnce.Do(func() {
		ctx := context.Background()
		log := slog.New(slog.DiscardHandler)
		tokens, err := chat.NewTokens(chat.NewKey("fz"), nil)
		if err != nil {
			fuzzEnvErr = err
			return
		}
		broker := chat.NewMemoryBroker()
		staff := counselors.NewService(counselors.NewMemoryStore(), tokens, broker, time.Hour, nil, log)
		staff.SetHashParams(&argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
		store := chat.NewMemoryStore(nil)
		always, err := routing.ParseHours("always", "", "")
		if err != nil {
			fuzzEnvErr = err
			return
		}
		router := routing.New(routing.Config{Mode: "pick", Hours: always, Log: log}, routing.NewMemoryStore(), store)
		svc := chat.NewService(chat.Config{Store: store, Broker: broker, Router: router, Tokens: tokens, Staff: staff,
			Log: log, Languages: map[string]bool{"es": true, "en": true}})
		router.SetChat(svc)
		texts, err := LoadTexts("", "es")
		if err != nil {
			fuzzEnvErr = err
			return
		}
		const password = "correct horse battery staple"
		if _, err := staff.AddAccount(ctx, counselors.NewAccount{Username: "fuzz-admin", Role: chat.RoleAdmin, Password: password}, 0); err != nil {
			fuzzEnvErr = err
			return
		}
		token, _, _, err := staff.Login(ctx, "fuzz-admin", password, "")
		if err != nil {
			fuzzEnvErr = err
			return
		}
		fuzzEnvVal = &fuzzEnv{handler: NewHandler(Config{Chat: svc, Staff: staff, Texts: texts, Log: log, RetentionDays: 30,
			ExitURL: "https://www.google.com/", StartsPerMinute: 12}), admin: token}
	})
	if fuzzEnvErr != nil {
		tb.Fatal(fuzzEnvErr)
	}
	return fuzzEnvVal
}

// fuzzRoutes are the POST endpoints that read a JSON body.
var fuzzRoutes = []struct {
	path     string
	admin    bool // send the admin's bearer token
	fields   map[string]fuzzFieldKind
	statuses []int
}{
	{"/api/seeker/conversations", false, map[string]fuzzFieldKind{"audience": fuzzString, "language": fuzzString, "region": fuzzString},
		[]int{201, 400}},
	{"/api/seeker/leave", false, map[string]fuzzFieldKind{"token": fuzzString}, []int{204, 400, 401}},
	{"/api/seeker/delete", false, map[string]fuzzFieldKind{"token": fuzzString}, []int{204, 400, 401}},
	{"/api/staff/login", false, map[string]fuzzFieldKind{"username": fuzzString, "password": fuzzString}, []int{200, 400, 401}},
	{"/api/admin/accounts", true, fuzzAccountFields, []int{201, 400, 409}},
}

// FuzzPostBodies posts arbitrary bodies to every JSON endpoint of the real
// handler. Whatever the body: no panic, only documented statuses, the
// security headers, errors in the documented shape, and a body that decode
// must refuse is refused with 400 invalid before anything happens.
func FuzzPostBodies(f *testing.F) {
	for i := range fuzzRoutes {
		f.Add(uint8(i), []byte(`{}`))
		f.Add(uint8(i), []byte("{\"region\":\"Madr\xffid\"}"))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		env := newFuzzEnv(t)
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		r := httptest.NewRequest(http.MethodPost, rt.path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		// A new address each time, so that the per-address limits on starting
		// and signing in never hide what decoding does.
		n := env.addr.Add(1)
		r.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:40000", n>>16&255, n>>8&255, n&255)
		if rt.admin {
			r.Header.Set("Authorization", "Bearer "+env.admin)
		}
		w := httptest.NewRecorder()
		env.handler.ServeHTTP(w, r)
		resp := w.Result()
		answer := w.Body.Bytes()

		for name, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
			if got := resp.Header.Get(name); got != want {
				t.Fatalf("POST %s: %s = %q", rt.path, name, got)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("POST %s: CSP %q", rt.path, csp)
		}
		if !slices.Contains(rt.statuses, resp.StatusCode) {
			t.Fatalf("POST %s %q: status %d (%s), want one of %v", rt.path, fuzzShort(body), resp.StatusCode, answer, rt.statuses)
		}
		acceptable := fuzzBodyAcceptable(body, rt.fields)
		if resp.StatusCode >= 400 {
			code := fuzzCheckError(t, resp, answer, resp.StatusCode, body)
			if !acceptable && code != "invalid" {
				t.Fatalf("POST %s %q: a body decode must refuse got %d %s", rt.path, fuzzShort(body), resp.StatusCode, answer)
			}
			var e struct{ Error struct{ Message string } }
			json.Unmarshal(answer, &e)
			if acceptable && (strings.HasPrefix(e.Error.Message, "malformed request body") || strings.Contains(e.Error.Message, "larger than")) {
				t.Fatalf("POST %s %q: a well-formed body was refused as malformed: %s", rt.path, fuzzShort(body), answer)
			}
			return
		}
		if !acceptable {
			t.Fatalf("POST %s %q: a body decode must refuse was answered %d %s", rt.path, fuzzShort(body), resp.StatusCode, answer)
		}
	})
}

// fuzzCheckError checks an error answer: JSON {"error":{"code","message"}}
// and nothing else, with the status its code maps to. It returns the code.
func fuzzCheckError(t *testing.T, resp *http.Response, answer []byte, status int, body []byte) string {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("body %q: status %d, want %d (%s)", fuzzShort(body), resp.StatusCode, status, answer)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("body %q: error answer has Content-Type %q", fuzzShort(body), ct)
	}
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(answer))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error == nil {
		t.Fatalf("body %q: error answer %q is not {\"error\":{…}}: %v", fuzzShort(body), answer, err)
	}
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("body %q: error answer %s lacks a code or message", fuzzShort(body), answer)
	}
	if got := httpStatus(chat.Code(e.Error.Code)); got != status {
		t.Fatalf("body %q: error code %q maps to %d but came with %d", fuzzShort(body), e.Error.Code, got, status)
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("body %q: error answer has trailing data %q", fuzzShort(body), rest)
	}
	return e.Error.Code
}

func fuzzShort(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + fmt.Sprintf("…(%d bytes)", len(b))
	}
	return string(b)
}
