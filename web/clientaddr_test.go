package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddressBelievesOnlyTrustedProxies(t *testing.T) {
	proxies, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy: the peer", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"an untrusted peer's header is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"through one trusted proxy", "127.0.0.1:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a forged entry left of the real one is ignored", "127.0.0.1:4000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "10.1.2.3:4000", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"several header lines", "::1:4000", []string{"1.2.3.4", "198.51.100.7"}, "198.51.100.7"},
		{"only trusted hops (an onion service on loopback): the peer", "127.0.0.1:4000", []string{"127.0.0.1"}, "127.0.0.1"},
		{"no header from a trusted proxy: the peer", "127.0.0.1:4000", nil, "127.0.0.1"},
		{"garbage in the header: the peer", "127.0.0.1:4000", []string{"198.51.100.1, not-an-ip"}, "127.0.0.1"},
	} {
		r := httptest.NewRequest("POST", "/api/seeker/conversations", nil)
		r.RemoteAddr = c.peer
		if c.peer == "::1:4000" {
			r.RemoteAddr = "[::1]:4000"
		}
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := proxies.ClientAddress(r); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8, localhost"); err == nil {
		t.Error("a host name was accepted as a trusted proxy")
	}
}
