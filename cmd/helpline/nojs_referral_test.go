package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/counselors/feedback"
	"helpline/routing/directory"
	"helpline/routing/referral"
)

// conversationID reads the conversation id out of the browser's seeker
// cookie (the credential's subject).
func (b *formBrowser) conversationID() string {
	b.t.Helper()
	parts := strings.Split(b.cookies["helpline_seeker"], ".")
	if len(parts) != 3 {
		b.t.Fatalf("no credential in the seeker cookie: %v", b.cookies)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		b.t.Fatal(err)
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	mustJSON(b.t, payload, &claims)
	return claims.Sub
}

// nojsWarm is a conversation started on the page without JavaScript from
// Madrid, accepted by a counsellor, with the sample directory and a test
// partner for its warm service.
type nojsWarm struct {
	srv       *servertest.Server
	b         *formBrowser
	id        string
	counselor *chatclient.Client
	token     string
	partner   *testPartner
}

func newNoJSWarm(t *testing.T, ctx context.Context, store, lang string) *nojsWarm {
	t.Helper()
	srv := servertest.Start(t, store, noDeliveryLoop)
	if err := directory.LoadSample(ctx, srv.Directory); err != nil {
		t.Fatal(err)
	}
	p := newTestPartner(t)
	if err := srv.Outbox.PutPartner(ctx, referral.Partner{ID: warmService, Name: "Socio de Madrid", URL: p.srv.URL + "/in",
		Secrets: []string{p.secret}, Enabled: true, AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	b := newFormBrowser(t, srv)
	_, page := b.do("GET", "/nojs/start?lang="+lang, nil, nil)
	f := fields(page)
	f.Set("audience", "self")
	f.Set("language", lang)
	f.Set("region", "ES-MD")
	if status, _ := b.do("POST", "/nojs/start", f, nil); status != http.StatusSeeOther {
		t.Fatalf("starting: %d", status)
	}
	id := b.conversationID()
	c, token := mustCounselor(t, ctx, srv, "nuria-"+lang, 2)
	accept(t, ctx, c, id)
	return &nojsWarm{srv: srv, b: b, id: id, counselor: c, token: token, partner: p}
}

// offer sends the warm service's card (named by clientID) and offers the
// warm referral; it returns the referral id.
func (w *nojsWarm) offer(t *testing.T, ctx context.Context, clientID string) string {
	t.Helper()
	a := call(t, ctx, nil, "POST", w.srv.URL+"/api/staff/conversations/"+w.id+"/referrals", w.token,
		map[string]string{"service_id": warmService, "client_id": clientID}, nil)
	if a.Status != 201 {
		t.Fatalf("card: %d %s", a.Status, a.Body)
	}
	var v struct {
		ID string `json:"id"`
	}
	mustJSON(t, a.Body, &v)
	if a := call(t, ctx, nil, "POST", w.srv.URL+"/api/staff/conversations/"+w.id+"/referrals/"+v.ID+"/warm", w.token, nil, nil); a.Status != 200 {
		t.Fatalf("offer: %d %s", a.Status, a.Body)
	}
	return v.ID
}

// delivered runs one delivery round and returns how many rows it took.
func (w *nojsWarm) delivered(t *testing.T) int {
	t.Helper()
	return runOnce(t, context.Background(), deliverer(w.srv, w.partner, time.Now))
}

var stateAttr = regexp.MustCompile(`id="referral" class="screen" aria-labelledby="referral-heading" data-state="([a-z_]*)"`)

func referralState(t *testing.T, page string) string {
	t.Helper()
	m := stateAttr.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no referral page: %.400s", page)
	}
	return m[1]
}

// On the page without JavaScript the seeker reads the card and the offer,
// sees exactly what would be sent (with what they typed), and only the
// explicit "Yes, send this" sends; they can withdraw before delivery.
func TestNoJSWarmReferralConsentAndWithdraw(t *testing.T) {
	for lang, store := range map[string]string{"es": "memory", "en": "postgres"} {
		t.Run(lang, func(t *testing.T) {
			ctx := testCtx(t)
			w := newNoJSWarm(t, ctx, store, lang)
			b := w.b
			rid := w.offer(t, ctx, "card-1")

			_, frame := b.do("GET", "/nojs/log", nil, nil)
			if !strings.Contains(frame, `class="msg from-counselor card"`) || !strings.Contains(frame, `data-kind="referral"`) {
				t.Fatalf("the frame does not show the card as a card: %s", frame)
			}
			if !strings.Contains(frame, `href="/nojs/referrals/`+rid+`" target="_top"`) {
				t.Fatalf("the frame does not lead to the offer: %s", frame)
			}
			status, page := b.do("GET", "/nojs/referrals/"+rid, nil, nil)
			if status != 200 || referralState(t, page) != "offered" || !strings.Contains(page, "R-") || !strings.Contains(page, "ES-MD") {
				t.Fatalf("offer page %d: %s", status, page)
			}
			f := fields(page)
			f.Set("sharing", "with_contact")
			f.Set("name", "Alex")
			f.Set("contact", "alex@example.org")
			status, review := b.do("POST", "/nojs/referrals/"+rid+"/review", f, nil)
			if status != 200 || !strings.Contains(review, "Alex") || !strings.Contains(review, "alex@example.org") || !strings.Contains(review, `id="referral-send"`) {
				t.Fatalf("review %d: %s", status, review)
			}
			if n := w.delivered(t); n != 0 {
				t.Fatalf("%d sent before the seeker said yes", n)
			}
			// Without the button's confirm=send nothing is sent.
			f.Del("confirm")
			if status, _ := b.do("POST", "/nojs/referrals/"+rid+"/consent", f, nil); status != http.StatusBadRequest {
				t.Fatalf("consent without confirm: %d", status)
			}
			forged := url.Values{"csrf": {"forged"}, "confirm": {"send"}, "sharing": {"code_only"}}
			if status, _ := b.do("POST", "/nojs/referrals/"+rid+"/consent", forged, nil); status != http.StatusForbidden {
				t.Fatalf("consent with a forged token: %d", status)
			}
			if n := w.delivered(t); n != 0 {
				t.Fatalf("%d sent without an explicit yes", n)
			}
			f.Set("confirm", "send")
			if status, _ := b.do("POST", "/nojs/referrals/"+rid+"/consent", f, nil); status != http.StatusSeeOther {
				t.Fatalf("yes, send this: %d", status)
			}
			waitStatus(t, ctx, w.counselor, rid, "pending")
			_, page = b.do("GET", "/nojs/referrals/"+rid, nil, nil)
			if referralState(t, page) != "pending" || !strings.Contains(page, `id="referral-withdraw"`) {
				t.Fatalf("after yes: %s", page)
			}
			if status, _ := b.do("POST", "/nojs/referrals/"+rid+"/withdraw", fields(page), nil); status != http.StatusSeeOther {
				t.Fatalf("withdraw: %d", status)
			}
			waitStatus(t, ctx, w.counselor, rid, "withdrawn")
			if _, page = b.do("GET", "/nojs/referrals/"+rid, nil, nil); referralState(t, page) != "withdrawn" {
				t.Fatalf("after withdrawing: %s", page)
			}
			if n := w.delivered(t); n != 0 {
				t.Fatalf("a withdrawn referral was sent (%d)", n)
			}

			// A second offer, "only the code", yes: delivered once, with nothing typed.
			rid2 := w.offer(t, ctx, "card-2")
			_, page = b.do("GET", "/nojs/referrals/"+rid2, nil, nil)
			f = fields(page)
			f.Set("sharing", "code_only")
			f.Set("name", "ignored")
			_, review = b.do("POST", "/nojs/referrals/"+rid2+"/review", f, nil)
			if strings.Contains(review, "ignored") {
				t.Fatalf("only the code, yet the review lists the typed name: %s", review)
			}
			f.Set("confirm", "send")
			if status, _ := b.do("POST", "/nojs/referrals/"+rid2+"/consent", f, nil); status != http.StatusSeeOther {
				t.Fatalf("yes: %d", status)
			}
			if n := w.delivered(t); n != 1 {
				t.Fatalf("delivered %d, want 1", n)
			}
			if got := w.partner.lastPayload(t); got.Seeker.Name != "" || got.Seeker.Contact != "" || got.Language != lang || got.Region != "ES-MD" {
				t.Fatalf("partner got %+v", got)
			}
			if _, page = b.do("GET", "/nojs/referrals/"+rid2, nil, nil); referralState(t, page) != "delivered" {
				t.Fatalf("after delivery: %s", page)
			}
		})
	}
}

// "Delete this conversation", on either page, withdraws a consented warm
// referral not yet delivered: the partner receives nothing afterwards.
func TestErasureWithdrawsUndeliveredReferralOnBothPages(t *testing.T) {
	for _, store := range []string{"memory", "postgres"} {
		t.Run(store+"/nojs", func(t *testing.T) {
			ctx := testCtx(t)
			w := newNoJSWarm(t, ctx, store, "es")
			rid := w.offer(t, ctx, "card")
			_, page := w.b.do("GET", "/nojs/referrals/"+rid, nil, nil)
			f := fields(page)
			f.Set("sharing", "with_contact")
			f.Set("name", "Alex")
			f.Set("confirm", "send")
			if status, _ := w.b.do("POST", "/nojs/referrals/"+rid+"/consent", f, nil); status != http.StatusSeeOther {
				t.Fatalf("yes: %d", status)
			}
			_, page = w.b.do("GET", "/nojs/delete", nil, nil)
			if status, _ := w.b.do("POST", "/nojs/delete", fields(page), nil); status != http.StatusSeeOther {
				t.Fatalf("delete: %d", status)
			}
			if n := w.delivered(t); n != 0 {
				t.Fatalf("%d delivered after the conversation was deleted", n)
			}
			if hits, _, _ := w.partner.stats(); hits != 0 {
				t.Fatalf("the partner got %d requests", hits)
			}
		})
		t.Run(store+"/js", func(t *testing.T) {
			ctx := testCtx(t)
			srv := servertest.Start(t, store, noDeliveryLoop)
			sc := newReferralScene(t, ctx, srv, "ines")
			p := newTestPartner(t)
			p.register(t, ctx, sc)
			v := sc.offerWarm(t, ctx)
			if a := sc.seekerCall(t, ctx, "consent", v.ID, map[string]string{"confirm": "send", "sharing": "code_only"}); a.Status != 200 {
				t.Fatalf("consent: %d %s", a.Status, a.Body)
			}
			if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/delete", "", map[string]string{"token": sc.seeker.started.Token}, nil); a.Status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", a.Status, a.Body)
			}
			if n := runOnce(t, ctx, deliverer(srv, p, time.Now)); n != 0 {
				t.Fatalf("%d delivered after the conversation was deleted", n)
			}
			if hits, _, _ := p.stats(); hits != 0 {
				t.Fatalf("the partner got %d requests", hits)
			}
			counts, err := srv.Referrals.Counts(ctx, time.Now().Add(-48*time.Hour), time.Now().Add(48*time.Hour))
			consented := int64(0)
			for _, day := range counts {
				consented += day["consented"]
			}
			if err != nil || consented != 1 {
				t.Fatalf("the anonymous counts after erasure: %v %v", counts, err)
			}
		})
	}
}

// The closing page without JavaScript asks the same optional questions and
// stores the answers as the live page does: the week and the language.
func TestNoJSFeedbackStoredAnonymously(t *testing.T) {
	for lang, store := range map[string]string{"es": "postgres", "en": "memory"} {
		t.Run(lang, func(t *testing.T) {
			ctx := testCtx(t)
			srv := servertest.Start(t, store)
			b := newFormBrowser(t, srv)
			_, page := b.do("GET", "/nojs/start?lang="+lang, nil, nil)
			f := fields(page)
			f.Set("language", lang)
			b.do("POST", "/nojs/start", f, nil)
			_, page = b.do("GET", "/nojs/chat", nil, nil)
			if strings.Contains(page, `id="feedback-form"`) {
				t.Fatal("feedback asked before the end")
			}
			b.do("POST", "/nojs/end", fields(page), nil)
			_, page = b.do("GET", "/nojs/chat", nil, nil)
			if !strings.Contains(page, `id="feedback-form"`) || !strings.Contains(page, `name="helpful" id="helpful-4"`) || !strings.Contains(page, `name="feeling" id="feeling-5"`) {
				t.Fatalf("closing page without the questions: %s", page)
			}
			bad := fields(page)
			bad.Set("helpful", "9")
			if status, again := b.do("POST", "/nojs/feedback", bad, nil); status != http.StatusBadRequest || !strings.Contains(again, `id="feedback-error"`) {
				t.Fatalf("an out-of-range answer: %d", status)
			}
			f = fields(page)
			f.Set("helpful", "4")
			f.Set("feeling", "5")
			f.Set("comment", "Gracias")
			if status, _ := b.do("POST", "/nojs/feedback", f, nil); status != http.StatusSeeOther || !strings.HasSuffix(b.header.Get("Location"), "/nojs/chat?feedback=sent") {
				t.Fatalf("feedback: %d %s", status, b.header.Get("Location"))
			}
			_, page = b.do("GET", "/nojs/chat?feedback=sent", nil, nil)
			if !strings.Contains(page, `id="feedback-status"`) || strings.Contains(page, `id="feedback-form"`) {
				t.Fatalf("after answering: %s", page)
			}
			b.do("POST", "/nojs/feedback", f, nil) // a second time stores nothing more
			week := feedback.Week(time.Now())
			counts, err := srv.Feedback.Counts(ctx, week, week)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, c := range counts {
				if c.Week != week || c.Language != lang {
					t.Fatalf("stored %+v", c)
				}
				got[c.Question+"="+string(rune('0'+c.Value))] += c.N
			}
			if len(got) != 2 || got["helpful=4"] != 1 || got["feeling=5"] != 1 {
				t.Fatalf("counts %v", got)
			}
			comments, err := srv.Feedback.Comments(ctx, week, week)
			if err != nil || len(comments) != 1 || comments[0].Text != "Gracias" || comments[0].Language != lang {
				t.Fatalf("comments %+v %v", comments, err)
			}
		})
	}
}
