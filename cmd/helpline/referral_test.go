package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
	"helpline/routing/referral/webhook"
)

// The counsellor searches from the conversation (prefilled with the
// seeker's answers, editable), sends a card, and the seeker receives it in
// sequence as a message of its own kind, once however often it is retried;
// deleting the conversation deletes the referral and keeps the count.
func TestReferralCardReachesTheSeekerInSequence(t *testing.T) {
	forEachStoreWith(t, noDeliveryLoop, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		sc := newReferralScene(t, ctx, srv, "rosa")
		var found struct {
			Query    map[string]string   `json:"query"`
			Services []refer.ServiceView `json:"services"`
		}
		a := call(t, ctx, nil, "GET", sc.url("/api/staff/conversations/"+sc.id+"/directory"), sc.staffToken, nil, nil)
		mustJSON(t, a.Body, &found)
		if a.Status != 200 || found.Query["region"] != "ES-MD" || found.Query["audience"] != "self" || found.Query["language"] != "es" ||
			len(found.Services) == 0 || found.Services[0].ID != warmService {
			t.Fatalf("prefilled search: %d %s", a.Status, a.Body)
		}
		a = call(t, ctx, nil, "GET", sc.url("/api/staff/conversations/"+sc.id+"/directory?region=GB&language=en"), sc.staffToken, nil, nil)
		mustJSON(t, a.Body, &found)
		if found.Query["region"] != "GB" || found.Query["audience"] != "self" || found.Services[0].ID != "sample-gb-therapy" {
			t.Fatalf("edited search: %s", a.Body)
		}

		v := sc.sendCard(t, ctx, warmService, "card-1")
		m := nextMessage(t, ctx, sc.seeker.Client)
		if m.Kind != refer.KindReferral || m.Sender != "counselor" || m.Seq != v.Seq || m.Seq != 2 ||
			!strings.Contains(m.Body, "Madrid") || !strings.Contains(m.Body, "Contacto") || !strings.Contains(m.Body, "Horario") {
			t.Fatalf("card as the seeker got it: %s (view %+v)", m.Raw, v)
		}
		if again := sc.sendCard(t, ctx, warmService, "card-1"); again.ID != v.ID || again.Seq != v.Seq {
			t.Fatalf("a retried card is another referral: %+v vs %+v", again, v)
		}
		send(t, ctx, sc.counsellor, sc.id, "after", "¿Te parece bien?")
		if next := nextMessage(t, ctx, sc.seeker.Client); next.Seq != 3 || next.Kind != "text" {
			t.Fatalf("after the card the seeker got %s: a retried card was stored twice?", next.Raw)
		}
		records, err := srv.Referrals.Records().ForConversation(ctx, sc.id)
		if err != nil || len(records) != 1 || records[0].ServiceName == "" || records[0].StaffID == 0 {
			t.Fatalf("records: %+v %v", records, err)
		}

		if a := call(t, ctx, nil, "POST", sc.url("/api/seeker/delete"), "", map[string]string{"token": sc.seeker.started.Token}, nil); a.Status != 204 {
			t.Fatalf("delete: %d %s", a.Status, a.Body)
		}
		if records, err := srv.Referrals.Records().ForConversation(ctx, sc.id); err != nil || len(records) != 0 {
			t.Fatalf("referrals outlived their conversation: %+v %v", records, err)
		}
		counts, err := srv.Referrals.Counts(ctx, time.Now().Add(-48*time.Hour), time.Now().Add(48*time.Hour))
		total := int64(0)
		for _, day := range counts {
			total += day[refer.CountCard]
		}
		if err != nil || total != 1 {
			t.Fatalf("anonymous count of cards = %d (%v), want 1 kept after deletion", total, err)
		}
	})
}

// Only the seeker's own "yes, send this" sends anything, exactly what the
// page showed, once; the partner's signed callback marks contact made.
func TestWarmReferralSentOnlyWithConsentAndOnce(t *testing.T) {
	forEachStoreWith(t, noDeliveryLoop, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		sc := newReferralScene(t, ctx, srv, "lia")
		p := newTestPartner(t)
		p.register(t, ctx, sc)
		d := deliverer(srv, p, time.Now)
		v := sc.offerWarm(t, ctx)
		waitStatus(t, ctx, sc.counsellor, v.ID, refer.StatusOffered)

		var list struct{ Referrals []refer.SeekerView }
		a := call(t, ctx, nil, "GET", sc.url("/api/seeker/referrals"), sc.seeker.started.Token, nil, nil)
		mustJSON(t, a.Body, &list)
		if a.Status != 200 || len(list.Referrals) != 1 || list.Referrals[0].Send == nil || list.Referrals[0].PartnerName == "" {
			t.Fatalf("seeker's view: %d %s", a.Status, a.Body)
		}
		shown := *list.Referrals[0].Send
		if shown.Language != "es" || shown.Audience != "self" || shown.Region != "ES-MD" || shown.ReferralCode == "" || shown.ServiceID != warmService {
			t.Fatalf("what the page shows would be sent: %+v", shown)
		}
		runOnce(t, ctx, d)
		if a := sc.seekerCall(t, ctx, "consent", v.ID, map[string]string{"sharing": "with_contact", "name": "Alex", "contact": "alex@example.org"}); a.Status != 400 {
			t.Fatalf("consent without the confirming word: %d %s", a.Status, a.Body)
		}
		if a := sc.seekerCall(t, ctx, "consent", v.ID, map[string]string{"confirm": "send", "sharing": "with_contact", "name": "Al\x00ex"}); a.Status != 400 {
			t.Fatalf("consent with a NUL in the name: %d %s", a.Status, a.Body)
		}
		if a := call(t, ctx, nil, "POST", sc.url("/api/seeker/referrals/"+v.ID+"/consent"), sc.staffToken,
			map[string]string{"confirm": "send", "sharing": "code_only"}, nil); a.Status != 401 {
			t.Fatalf("the counsellor consenting for the seeker: %d %s", a.Status, a.Body)
		}
		if hits, _, _ := p.stats(); hits != 0 {
			t.Fatalf("the partner got %d requests before consent", hits)
		}
		consent := map[string]string{"confirm": "send", "sharing": "with_contact", "name": "Alex", "contact": "alex@example.org"}
		for range 2 { // a repeated "yes" is one referral
			if a := sc.seekerCall(t, ctx, "consent", v.ID, consent); a.Status != 200 {
				t.Fatalf("consent: %d %s", a.Status, a.Body)
			}
		}
		waitStatus(t, ctx, sc.counsellor, v.ID, refer.StatusPending)
		for range 3 {
			runOnce(t, ctx, d)
		}
		if hits, ids, bad := p.stats(); hits != 1 || ids != 1 || bad != 0 {
			t.Fatalf("partner: %d requests, %d webhook-ids, %d bad signatures; want 1, 1, 0", hits, ids, bad)
		}
		got := p.lastPayload(t)
		want := shown
		want.Seeker = referral.Seeker{Sharing: referral.ShareContact, Name: "Alex", Contact: "alex@example.org"}
		if got != want {
			t.Fatalf("partner got %+v, want exactly %+v", got, want)
		}
		waitStatus(t, ctx, sc.counsellor, v.ID, refer.StatusDelivered)
		waitStatus(t, ctx, sc.seeker.Client, v.ID, refer.StatusDelivered)

		contact := "/api/partners/" + warmService + "/referrals/" + got.ReferralCode + "/contact"
		body := []byte(`{"type":"referral.contact_made"}`)
		bad := http.Header{}
		webhook.SetHeaders(bad, mustSecrets(t, webhook.NewSecret()), "cb_1", time.Now(), body)
		if a := call(t, ctx, nil, "POST", sc.url(contact), "", body, bad); a.Status != 401 {
			t.Fatalf("callback with a wrong signature: %d %s", a.Status, a.Body)
		}
		good := http.Header{}
		webhook.SetHeaders(good, mustSecrets(t, p.secret), "cb_2", time.Now(), body)
		if a := call(t, ctx, nil, "POST", sc.url(contact), "", body, good); a.Status != 204 {
			t.Fatalf("signed callback: %d %s", a.Status, a.Body)
		}
		waitStatus(t, ctx, sc.counsellor, v.ID, refer.StatusContactMade)
	})
}

func mustSecrets(t *testing.T, s ...string) []webhook.Secret {
	t.Helper()
	secrets, err := webhook.ParseSecrets(s)
	if err != nil {
		t.Fatal(err)
	}
	return secrets
}

// A seeker who says no, or withdraws before delivery, sends nothing.
func TestWarmReferralDeclinedOrWithdrawnSendsNothing(t *testing.T) {
	forEachStoreWith(t, noDeliveryLoop, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		sc := newReferralScene(t, ctx, srv, "noe")
		p := newTestPartner(t)
		p.register(t, ctx, sc)
		d := deliverer(srv, p, time.Now)
		v := sc.offerWarm(t, ctx)
		if a := sc.seekerCall(t, ctx, "consent", v.ID, map[string]string{"confirm": "send", "sharing": "code_only"}); a.Status != 200 {
			t.Fatalf("consent: %d %s", a.Status, a.Body)
		}
		for range 2 {
			if a := sc.seekerCall(t, ctx, "withdraw", v.ID, nil); a.Status != 200 {
				t.Fatalf("withdraw: %d %s", a.Status, a.Body)
			}
		}
		waitStatus(t, ctx, sc.counsellor, v.ID, refer.StatusWithdrawn)
		runOnce(t, ctx, d)
		// A second card, declined.
		w := sc.sendCard(t, ctx, warmService, "card-2")
		if a := call(t, ctx, nil, "POST", sc.url("/api/staff/conversations/"+sc.id+"/referrals/"+w.ID+"/warm"), sc.staffToken, nil, nil); a.Status != 200 {
			t.Fatalf("offer: %d %s", a.Status, a.Body)
		}
		if a := sc.seekerCall(t, ctx, "decline", w.ID, nil); a.Status != 200 {
			t.Fatalf("decline: %d %s", a.Status, a.Body)
		}
		if a := sc.seekerCall(t, ctx, "consent", w.ID, map[string]string{"confirm": "send", "sharing": "code_only"}); a.Status != 409 {
			t.Fatalf("consent after declining: %d %s", a.Status, a.Body)
		}
		runOnce(t, ctx, d)
		if hits, _, _ := p.stats(); hits != 0 {
			t.Fatalf("the partner got %d requests; the seeker withdrew and declined", hits)
		}
	})
}

// Two instances on one database, each delivering: the partner gets the
// referral once.
func TestWarmReferralTwoInstancesDeliverOnce(t *testing.T) {
	ctx := testCtx(t)
	a := servertest.Start(t, "postgres", noDeliveryLoop)
	b := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: a.Config.DatabaseURL, Env: noDeliveryLoop.Env})
	sc := newReferralScene(t, ctx, a, "dos")
	p := newTestPartner(t)
	p.register(t, ctx, sc)
	v := sc.offerWarm(t, ctx)
	if r := sc.seekerCall(t, ctx, "consent", v.ID, map[string]string{"confirm": "send", "sharing": "code_only"}); r.Status != 200 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	var wg sync.WaitGroup
	for _, srv := range []*servertest.Server{a, b, a, b} {
		d := deliverer(srv, p, time.Now)
		wg.Go(func() { d.RunOnce(ctx) })
	}
	wg.Wait()
	if hits, ids, _ := p.stats(); hits != 1 || ids != 1 {
		t.Fatalf("partner got %d requests (%d webhook-ids) from two instances, want 1", hits, ids)
	}
}

// An instance that dies mid-delivery leaves its claim to expire; the next
// one sends the same webhook-id, so the partner has the referral once.
func TestWarmReferralRestartMidDeliveryOnce(t *testing.T) {
	ctx := testCtx(t)
	first := servertest.Start(t, "postgres", noDeliveryLoop)
	sc := newReferralScene(t, ctx, first, "rei")
	p := newTestPartner(t)
	p.hold = make(chan struct{})
	p.register(t, ctx, sc)
	v := sc.offerWarm(t, ctx)
	if r := sc.seekerCall(t, ctx, "consent", v.ID, map[string]string{"confirm": "send", "sharing": "code_only"}); r.Status != 200 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	clock := &stepClock{t: time.Now()}
	dying, kill := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { deliverer(first, p, clock.Now).RunOnce(dying); close(done) }()
	<-p.got // the request is at the partner: kill the instance now
	kill()
	<-done
	first.Close()
	p.mu.Lock()
	p.hold = nil
	p.mu.Unlock()

	second := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: first.Config.DatabaseURL, Env: noDeliveryLoop.Env})
	d := deliverer(second, p, clock.Now)
	if n := runOnce(t, ctx, d); n != 0 {
		t.Fatalf("the dead instance's claim was taken over before its lease ended (%d)", n)
	}
	clock.advance(2 * time.Minute)
	runOnce(t, ctx, d)
	runOnce(t, ctx, d)
	if hits, ids, _ := p.stats(); hits != 2 || ids != 1 {
		t.Fatalf("partner: %d requests, %d webhook-ids; want the one retried with its webhook-id", hits, ids)
	}
	r, err := second.Referrals.Records().Get(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if row, err := second.Outbox.Get(ctx, r.DeliveryID); err != nil || row.Status != referral.StatusDelivered {
		t.Fatalf("outbox row: %+v %v", row, err)
	}
}

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The delivery loop the server runs itself (development: an http partner
// on loopback) sends a consented referral without anyone calling it.
func TestWiredDeliveryLoopSendsTheReferral(t *testing.T) {
	ctx := testCtx(t)
	srv := servertest.Start(t, "memory", servertest.Options{Env: map[string]string{
		"HELPLINE_REFERRAL_INTERVAL": "20ms", "HELPLINE_REFERRAL_ALLOW_HTTP": "true"}})
	sc := newReferralScene(t, ctx, srv, "bucle")
	p := newTestPartner(t)
	p.srv.Close()
	p.srv = httptestPlain(p)
	p.register(t, ctx, sc)
	v := sc.offerWarm(t, ctx)
	if r := sc.seekerCall(t, ctx, "consent", v.ID, map[string]string{"confirm": "send", "sharing": "code_only"}); r.Status != 200 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	waitStatus(t, ctx, sc.counsellor, v.ID, refer.StatusDelivered)
	if hits, ids, bad := p.stats(); hits != 1 || ids != 1 || bad != 0 {
		t.Fatalf("partner: %d requests, %d ids, %d bad signatures", hits, ids, bad)
	}
}

// A partner that keeps failing: after the last attempt the referral is
// dead-lettered, the counsellor and the supervisors on shift are told, and a
// supervisor's retry delivers it. A partner answering 410 is disabled and
// the supervisors are told.
func TestWarmReferralDeadLetterRetryAndGone(t *testing.T) {
	ctx := testCtx(t)
	srv := servertest.Start(t, "postgres", noDeliveryLoop)
	sc := newReferralScene(t, ctx, srv, "muerta")
	supervisor, in := signIn(t, ctx, srv, "jefa", srv.MustAccount(t, "jefa", "Jefa", chat.RoleSupervisor, 1))
	p := newTestPartner(t)
	var answer atomic.Int32
	answer.Store(http.StatusInternalServerError)
	p.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serve(httptest.NewRecorder(), r) // count and verify as usual
		w.WriteHeader(int(answer.Load()))
	})
	p.register(t, ctx, sc)
	v := sc.offerWarm(t, ctx)
	if r := sc.seekerCall(t, ctx, "consent", v.ID, map[string]string{"confirm": "send", "sharing": "code_only"}); r.Status != 200 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	clock := &stepClock{t: time.Now()}
	d := deliverer(srv, p, clock.Now)
	for range len(referral.DefaultSchedule) + 1 {
		runOnce(t, ctx, d)
		clock.advance(13 * time.Hour) // past the longest wait of the schedule
	}
	waitStatus(t, ctx, sc.counsellor, v.ID, refer.StatusFailed)
	waitStatus(t, ctx, supervisor, v.ID, refer.StatusFailed)
	if a := call(t, ctx, nil, "POST", sc.url("/api/staff/referrals/"+v.ID+"/retry"), sc.staffToken, nil, nil); a.Status != 404 {
		t.Fatalf("a counsellor's retry: %d %s", a.Status, a.Body)
	}
	answer.Store(http.StatusNoContent)
	if a := call(t, ctx, nil, "POST", sc.url("/api/staff/referrals/"+v.ID+"/retry"), in.Token, nil, nil); a.Status != 200 {
		t.Fatalf("the supervisor's retry: %d %s", a.Status, a.Body)
	}
	runOnce(t, ctx, d)
	waitStatus(t, ctx, sc.counsellor, v.ID, refer.StatusDelivered)

	// Another referral to the same partner, which is now gone.
	answer.Store(http.StatusGone)
	w := sc.sendCard(t, ctx, warmService, "card-gone")
	if a := call(t, ctx, nil, "POST", sc.url("/api/staff/conversations/"+sc.id+"/referrals/"+w.ID+"/warm"), sc.staffToken, nil, nil); a.Status != 200 {
		t.Fatalf("offer: %d %s", a.Status, a.Body)
	}
	if r := sc.seekerCall(t, ctx, "consent", w.ID, map[string]string{"confirm": "send", "sharing": "code_only"}); r.Status != 200 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	runOnce(t, ctx, d)
	waitFrame(t, ctx, supervisor, "partner disabled", func(f chatclient.Frame) bool { return f.Type == "referral_partner_disabled" })
	if partner, err := srv.Outbox.Partner(ctx, warmService); err != nil || partner.Enabled {
		t.Fatalf("after 410 the partner is %+v (%v)", partner, err)
	}
	x := sc.sendCard(t, ctx, warmService, "card-after-gone")
	if a := call(t, ctx, nil, "POST", sc.url("/api/staff/conversations/"+sc.id+"/referrals/"+x.ID+"/warm"), sc.staffToken, nil, nil); a.Status != 409 {
		t.Fatalf("a warm referral to a disabled partner: %d %s", a.Status, a.Body)
	}
}

// With DATABASE_URL an admin cannot enter an http:// partner: deliveries
// leave only over https.
func TestPartnerURLMustBeHTTPSOutsideDevelopment(t *testing.T) {
	ctx := testCtx(t)
	srv := servertest.Start(t, "postgres", noDeliveryLoop)
	_, in := signIn(t, ctx, srv, "adm", srv.MustAccount(t, "adm", "Adm", chat.RoleAdmin, 1))
	for url, want := range map[string]int{"http://partner.example.org/in": 400, "https://partner.example.org/in": 200, "ftp://partner.example.org/": 400} {
		a := call(t, ctx, nil, "PUT", srv.URL+"/api/admin/partners/"+warmService, in.Token, map[string]any{
			"name": "P", "url": url, "secrets": []string{webhook.NewSecret()}, "enabled": true}, nil)
		if a.Status != want {
			t.Errorf("partner URL %s: %d %s, want %d", url, a.Status, a.Body, want)
		}
	}
	if a := call(t, ctx, nil, "GET", srv.URL+"/api/admin/partners/"+warmService, in.Token, nil, nil); a.Status != 200 || strings.Contains(string(a.Body), "whsec_") {
		t.Fatalf("reading the partner back: %d %s (secrets must never come back)", a.Status, a.Body)
	}
}
