package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/routing/directory"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
	"helpline/routing/referral/webhook"
)

// warmService is the sample directory's service in Madrid that accepts
// warm referrals; its partner has the same id.
const warmService = "sample-es-md-therapy"

// noDeliveryLoop: the server's own loop stays off, so a test delivers with
// deliverers of its own (trusting its TLS partner, on its clock).
var noDeliveryLoop = servertest.Options{Env: map[string]string{"HELPLINE_REFERRAL_INTERVAL": "0s"}}

// referralScene is one active conversation from a seeker in Madrid, with
// its counsellor, the sample directory loaded, and an admin signed in.
type referralScene struct {
	srv        *servertest.Server
	id         string
	seeker     *seeker
	counsellor *chatclient.Client
	staffToken string
	adminToken string
}

func newReferralScene(t *testing.T, ctx context.Context, srv *servertest.Server, user string) *referralScene {
	t.Helper()
	if err := directory.LoadSample(ctx, srv.Directory); err != nil {
		t.Fatal(err)
	}
	st, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", "ES-MD")
	if err != nil {
		t.Fatal(err)
	}
	sk, err := chatclient.Dial(ctx, srv.URL, st.Token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sk.WS.CloseNow() })
	if _, err := sk.Sync(ctx, st.ConversationID, 0); err != nil {
		t.Fatal(err)
	}
	c, token := mustCounselor(t, ctx, srv, user, 3)
	accept(t, ctx, c, st.ConversationID)
	nextMessage(t, ctx, sk) // the join
	admin := user + "-admin"
	_, in := signIn(t, ctx, srv, admin, srv.MustAccount(t, admin, "Admin", chat.RoleAdmin, 1))
	return &referralScene{srv: srv, id: st.ConversationID, seeker: &seeker{started: st, Client: sk}, counsellor: c,
		staffToken: token, adminToken: in.Token}
}

func (sc *referralScene) url(path string) string { return sc.srv.URL + path }

// sendCard sends the card for service with clientID and returns the view.
func (sc *referralScene) sendCard(t *testing.T, ctx context.Context, service, clientID string) refer.View {
	t.Helper()
	a := call(t, ctx, nil, "POST", sc.url("/api/staff/conversations/"+sc.id+"/referrals"), sc.staffToken,
		map[string]string{"service_id": service, "client_id": clientID}, nil)
	if a.Status != 201 {
		t.Fatalf("sending the card: %d %s", a.Status, a.Body)
	}
	var v refer.View
	mustJSON(t, a.Body, &v)
	return v
}

// offerWarm sends the card of the warm service and offers the warm
// referral; the seeker's page is told.
func (sc *referralScene) offerWarm(t *testing.T, ctx context.Context) refer.View {
	t.Helper()
	v := sc.sendCard(t, ctx, warmService, "card-warm")
	a := call(t, ctx, nil, "POST", sc.url("/api/staff/conversations/"+sc.id+"/referrals/"+v.ID+"/warm"), sc.staffToken, nil, nil)
	if a.Status != 200 {
		t.Fatalf("offering the warm referral: %d %s", a.Status, a.Body)
	}
	f := waitFrame(t, ctx, sc.seeker.Client, "the offer", func(f chatclient.Frame) bool { return f.Type == "referral_offer" })
	var offer refer.OfferFrame
	if err := f.As(&offer); err != nil || offer.ReferralID != v.ID || offer.ConversationID != sc.id {
		t.Fatalf("offer frame %s: %v", f.Raw, err)
	}
	return v
}

func (sc *referralScene) seekerCall(t *testing.T, ctx context.Context, action, referralID string, body any) apiAnswer {
	t.Helper()
	return call(t, ctx, nil, "POST", sc.url("/api/seeker/referrals/"+referralID+"/"+action), sc.seeker.started.Token, body, nil)
}

// partner is an httptest partner (TLS) that verifies our signature and
// counts the requests and the distinct webhook-ids it got.
type testPartner struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	hits   int
	ids    map[string]int
	bodies [][]byte
	bad    int
	// hold, when set, makes requests wait for it to close (or the
	// caller to give up) before answering.
	hold chan struct{}
	got  chan struct{} // one value per request received
}

func newTestPartner(t *testing.T) *testPartner {
	p := &testPartner{secret: webhook.NewSecret(), ids: map[string]int{}, got: make(chan struct{}, 100)}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testPartner) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	secrets, _ := webhook.ParseSecrets([]string{p.secret})
	p.mu.Lock()
	hold := p.hold
	p.hits++
	if webhook.Verify(secrets, r.Header, body, time.Now(), time.Hour) != nil {
		p.bad++
	}
	p.ids[r.Header.Get("webhook-id")]++
	p.bodies = append(p.bodies, body)
	p.mu.Unlock()
	p.got <- struct{}{}
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (p *testPartner) stats() (hits, ids, bad int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits, len(p.ids), p.bad
}

func (p *testPartner) lastPayload(t *testing.T) referral.Payload {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var pl referral.Payload
	if len(p.bodies) == 0 {
		t.Fatal("the partner got nothing")
	}
	dec := json.NewDecoder(bytes.NewReader(p.bodies[len(p.bodies)-1]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pl); err != nil {
		t.Fatalf("payload has fields beyond referral.Payload's: %v", err)
	}
	return pl
}

// register makes the partner the warm service's, through the admin endpoint.
func (p *testPartner) register(t *testing.T, ctx context.Context, sc *referralScene) {
	t.Helper()
	a := call(t, ctx, nil, "PUT", sc.url("/api/admin/partners/"+warmService), sc.adminToken, map[string]any{
		"name": "Servicio ficticio de Madrid", "url": p.srv.URL + "/referrals", "secrets": []string{p.secret},
		"enabled": true, "allow_private": true}, nil)
	if a.Status != 200 {
		t.Fatalf("registering the partner: %d %s", a.Status, a.Body)
	}
}

// deliverer is one instance's deliverer on srv's outbox, trusting the
// test partner, on clock now.
func deliverer(srv *servertest.Server, p *testPartner, now func() time.Time) *referral.Deliverer {
	pool := x509.NewCertPool()
	pool.AddCert(p.srv.Certificate())
	return referral.NewDeliverer(referral.Config{Store: srv.Outbox, Alerts: srv.Referrals.Alerts(), Now: now,
		TLS: &tls.Config{RootCAs: pool}, AttemptRetryWait: -1, Lease: time.Minute,
		Jitter: func(d time.Duration) time.Duration { return d }}) // the schedule as written: the tests step a clock past each wait
}

func runOnce(t *testing.T, ctx context.Context, d *referral.Deliverer) int {
	t.Helper()
	n, err := d.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitStatus waits for the counsellor's console to be told status.
func waitStatus(t *testing.T, ctx context.Context, c *chatclient.Client, referralID, status string) {
	t.Helper()
	waitFrame(t, ctx, c, "status "+status, func(f chatclient.Frame) bool {
		var s refer.StatusFrame
		return f.Type == "referral_status" && f.As(&s) == nil && s.ReferralID == referralID && s.Status == status
	})
}

// httptestPlain serves p over plain http (development mode only).
func httptestPlain(p *testPartner) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(p.serve))
}
