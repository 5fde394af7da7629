package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A body with bytes that are not UTF-8 is refused with 400 invalid, on
// every endpoint, before anything is stored; the same text in UTF-8 is
// accepted.
func TestBodyThatIsNotUTF8IsRefused(t *testing.T) {
	env := newFuzzEnv(t)
	post := func(path string, admin bool, body []byte) (int, string) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if admin {
			r.Header.Set("Authorization", "Bearer "+env.admin)
		}
		n := env.addr.Add(1)
		r.RemoteAddr = fmt.Sprintf("10.200.%d.%d:40000", n>>8&255, n&255)
		w := httptest.NewRecorder()
		env.handler.ServeHTTP(w, r)
		var e struct{ Error struct{ Code string } }
		json.Unmarshal(w.Body.Bytes(), &e)
		return w.Code, e.Error.Code
	}
	if status, _ := post("/api/seeker/conversations", false, []byte(`{"region":"Málaga"}`)); status != http.StatusCreated {
		t.Fatalf("control: region in UTF-8 answered %d, want 201", status)
	}
	for _, rt := range fuzzRoutes {
		for field, kind := range rt.fields {
			if kind != fuzzString {
				continue
			}
			body := []byte("{\"" + field + "\":\"M\xe1laga\"}") // á in Latin-1
			if status, code := post(rt.path, rt.admin, body); status != http.StatusBadRequest || code != "invalid" {
				t.Errorf("POST %s with a Latin-1 byte in %s: %d %q, want 400 invalid", rt.path, field, status, code)
			}
		}
	}
}
