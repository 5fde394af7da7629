package main

import (
	"net/http"
	"strings"
	"testing"

	"helpline/cmd/internal/servertest"
)

// TestStartsAreBoundedOverTheWholeService: with
// HELPLINE_STARTS_PER_MINUTE_TOTAL, new conversations are limited whoever
// starts them, as behind an onion service where all share one address;
// the per-address limit is off here, so only the total can refuse.
func TestStartsAreBoundedOverTheWholeService(t *testing.T) {
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{
		"HELPLINE_STARTS_PER_MINUTE": "0", "HELPLINE_STARTS_PER_MINUTE_TOTAL": "30"}})
	start := func() *http.Response {
		res, err := http.Post(srv.URL+"/api/seeker/conversations", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	// A burst of a tenth of the minute's allowance goes through at once …
	for i := range 3 {
		if res := start(); res.StatusCode != http.StatusCreated {
			t.Fatalf("start %d: %d, want 201", i+1, res.StatusCode)
		}
	}
	// … and the next is asked to wait, with Retry-After.
	res := start()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("start over the total: %d (Retry-After %q), want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

// TestTrustedProxyAddressesKeepLimitsApart: behind a trusted proxy two
// clients have an allowance each; without trusting it, they would share
// the proxy's.
func TestTrustedProxyAddressesKeepLimitsApart(t *testing.T) {
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{
		"HELPLINE_STARTS_PER_MINUTE": "2", "HELPLINE_TRUSTED_PROXIES": "127.0.0.1, ::1"}})
	start := func(client string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/api/seeker/conversations", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", client)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for range 2 {
		if code := start("198.51.100.1"); code != http.StatusCreated {
			t.Fatalf("first client: %d, want 201", code)
		}
	}
	if code := start("198.51.100.1"); code != http.StatusTooManyRequests {
		t.Fatalf("first client over its allowance: %d, want 429", code)
	}
	if code := start("198.51.100.2"); code != http.StatusCreated {
		t.Fatalf("second client behind the same proxy: %d, want 201 (its own allowance)", code)
	}
}
