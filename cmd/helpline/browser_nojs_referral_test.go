package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/cmd/internal/servertest"
	"helpline/counselors/feedback"
	"helpline/routing/directory"
	"helpline/routing/referral"
)

// With JavaScript disabled, in both languages: the seeker reads the card
// and the warm-referral offer, chooses to share a name and a contact, sees
// exactly what would be sent, says yes, withdraws before delivery (nothing
// is sent), then ends the conversation and answers the feedback questions.
func TestBrowserNoJSWarmReferralAndFeedbackInBothLanguages(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	words := map[string]struct{ title, withdrawn, sent string }{
		"es": {"¿Quieres que avisemos a este servicio", "Retirado: no se envió nada.", "Gracias."},
		"en": {"Would you like us to tell this service", "Withdrawn: nothing was sent.", "Thank you."},
	}
	for lang, store := range map[string]string{"es": "postgres", "en": "memory"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_NOJS_REFRESH": "1s", "HELPLINE_REFERRAL_INTERVAL": "0s"}})
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			if err := directory.LoadSample(ctx, srv.Directory); err != nil {
				t.Fatal(err)
			}
			p := newTestPartner(t)
			if err := srv.Outbox.PutPartner(ctx, referral.Partner{ID: warmService, Name: "Socio de Madrid", URL: p.srv.URL + "/in",
				Secrets: []string{p.secret}, Enabled: true, AllowPrivate: true}); err != nil {
				t.Fatal(err)
			}
			home := tab(t, mustBrowser(t))
			browse(t, home, "no scripts", scripts(false))
			seeker, closeTab := sameBrowserTab(t, home)
			defer closeTab()
			browse(t, seeker, "a conversation from Madrid without JavaScript",
				chromedp.Navigate(srv.URL+"/nojs/start?lang="+lang), visible("#prechat-form"),
				click("#audience-self"), typeInto("#region", "ES-MD"),
				chromedp.SetValue(chromedp.CSS("#language"), lang),
				click("#start-chat"), visible("#compose"))
			id := conversationOf(t, seeker, srv.URL)
			w := &nojsWarm{srv: srv, id: id, partner: p}
			w.counselor, w.token = mustCounselor(t, ctx, srv, "rosa-"+lang, 2)
			accept(t, ctx, w.counselor, id)
			rid := w.offer(t, ctx, "card")

			waitLog(t, seeker, "the card", func(ms []string) bool {
				for _, m := range ms {
					if strings.Contains(m, ":referral:") && strings.Contains(m, "Madrid") {
						return true
					}
				}
				return false
			})
			link := ""
			for deadline := time.Now().Add(15 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				link = value(t, seeker, "offer link", chromedp.Evaluate[string](`(() => { const d = document.getElementById('log-frame').contentDocument;
					const a = d && d.querySelector('#referral-offers a.referral-open'); return a ? a.getAttribute('href') : ''; })()`))
			}
			if link != "/nojs/referrals/"+rid {
				t.Fatalf("the frame leads to %q, want the offer %s", link, rid)
			}
			browse(t, seeker, "the offer, in plain words",
				chromedp.Navigate(srv.URL+link), visible("#referral-form"))
			if h := value(t, seeker, "heading", textOf("#referral-heading")); !strings.HasPrefix(h, words[lang].title) {
				t.Fatalf("offer heading in %s: %q", lang, h)
			}
			browse(t, seeker, "chooses a name and a contact, and continues",
				click("#sharing-contact"), typeInto("#referral-name", "Alex"), typeInto("#referral-contact", "alex@example.org"),
				click("#referral-continue"), visible("#referral-send"))
			shown := value(t, seeker, "would send", textOf("#would-send"))
			for _, want := range []string{"R-", "Alex", "alex@example.org", "ES-MD"} {
				if !strings.Contains(shown, want) {
					t.Fatalf("the page says it would send %q, without %q", shown, want)
				}
			}
			if n := w.delivered(t); n != 0 {
				t.Fatalf("%d sent before yes", n)
			}
			browse(t, seeker, "yes, send this; then withdraw",
				click("#referral-send"), visible("#referral-withdraw"),
				click("#referral-withdraw"), visible(`#referral[data-state="withdrawn"] #referral-outcome`))
			if got := value(t, seeker, "outcome", textOf("#referral-outcome")); got != words[lang].withdrawn {
				t.Fatalf("after withdrawing: %q", got)
			}
			if n := w.delivered(t); n != 0 {
				t.Fatalf("a withdrawn referral was sent (%d)", n)
			}

			browse(t, seeker, "back to the conversation, end it, answer the questions",
				click("#referral-back"), visible("#end-chat"),
				click("#end-chat"), visible("#confirm-yes"), click("#confirm-yes"),
				visible("#feedback-form"),
				click("#helpful-3"), click("#feeling-4"), typeInto("#feedback-comment", "Me ayudó"),
				click("#feedback-send"), visible("#feedback-status"))
			if got := value(t, seeker, "thanks", textOf("#feedback-status")); !strings.HasPrefix(got, words[lang].sent) {
				t.Fatalf("after answering: %q", got)
			}
			week := feedback.Week(time.Now())
			counts, err := srv.Feedback.Counts(ctx, week, week)
			if err != nil || len(counts) != 2 {
				t.Fatalf("counts %+v %v", counts, err)
			}
			for _, c := range counts {
				if c.Language != lang || c.N != 1 || (c.Question == feedback.QuestionHelpful) != (c.Value == 3) {
					t.Fatalf("stored %+v", c)
				}
			}
		})
	}
}
