package referral

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// Without the explicit test flag, a partner whose URL reaches an internal
// address is refused when connecting, whatever the name: the check is on
// the address being dialled, after DNS.
func TestInternalAddressesRefusedAtConnectTime(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	p := newPartner(t, r.clock, nil)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.srv.URL, "https://"))
	for name, url := range map[string]string{
		"loopback":       p.srv.URL + "/referrals",
		"localhost name": "https://localhost:" + port + "/referrals", // a name that resolves inside
		"private":        "https://10.0.0.1:" + port + "/",
		"metadata":       "https://169.254.169.254/latest/meta-data/",
		"ipv6 loopback":  "https://[::1]:" + port + "/",
		"unspecified":    "https://0.0.0.0:" + port + "/",
	} {
		t.Run(name, func(t *testing.T) {
			rec := p.record("p-" + strings.ReplaceAll(name, " ", "-"))
			rec.URL, rec.AllowPrivate = url, false
			r.addPartner(rec)
			d := r.enqueue(rec.ID)
			r.runOnce(r.deliverer(p.srv))
			g := r.get(d.ID)
			if g.LastError != "refused: partner address is inside our network" {
				t.Fatalf("%s: %+v", url, g)
			}
		})
	}
	if hits, _ := p.stats(); hits != 0 {
		t.Fatalf("the internal partner was reached %d times", hits)
	}
}

func TestForbiddenAddresses(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
		"0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254"} {
		if !forbidden(netip.MustParseAddr(s)) {
			t.Errorf("%s is allowed", s)
		}
	}
	for _, s := range []string{"93.184.215.14", "8.8.8.8", "2606:4700::1111"} {
		if forbidden(netip.MustParseAddr(s)) {
			t.Errorf("%s is refused", s)
		}
	}
}

// A partner URL carrying a token: it never appears in a log line or in
// last_error, nor does any part of the payload.
func TestNothingSecretInLogsOrErrors(t *testing.T) {
	r := newRig(t, NewMemoryStore())
	p := newPartner(t, r.clock, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("your payload RC-7Q4K-93 was bad"))
	})
	rec := p.record("p1")
	rec.URL = strings.Replace(p.srv.URL, "https://", "https://user:PASSWORD@", 1) + "/hook?token=TOPSECRET"
	r.addPartner(rec)
	d := r.enqueue("p1")
	del := r.deliverer(p.srv)
	r.runOnce(del)
	dead := p.record("p2")
	dead.URL = "https://127.0.0.1:1/hook?token=TOPSECRET" // refused
	dead.AllowPrivate = true
	r.addPartner(dead)
	d2 := r.enqueue("p2")
	r.runOnce(del)
	logs := r.logText() + r.get(d.ID).LastError + r.get(d2.ID).LastError
	if !strings.Contains(logs, "partner answered 400") {
		t.Fatalf("the logs do not show the attempt at all: %s", logs)
	}
	for _, secret := range []string{"TOPSECRET", "PASSWORD", "/hook", "RC-7Q4K-93", "sam.private", p.srv.URL} {
		if strings.Contains(logs, secret) {
			t.Errorf("%q appears in logs or errors:\n%s", secret, logs)
		}
	}
}
