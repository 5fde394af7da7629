package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
	"helpline/routing/directory"
	"helpline/routing/referral"
)

// The counsellor searches the directory from the conversation and sends a
// card; the seeker sees it as a card in their language; the counsellor
// offers a warm referral, the seeker sees exactly what would be sent,
// types a name and a contact and says "yes, send this"; it is delivered
// once and both sides see it delivered.
func TestBrowserReferralInBothLanguages(t *testing.T) {
	t.Parallel() // browser tests run side by side: see browser_shared_test.go
	words := map[string]struct{ contact, offers string }{"es": {"Contacto", "Qué ofrece"}, "en": {"How to contact", "What it offers"}}
	for lang, store := range map[string]string{"es": "memory", "en": "postgres"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel() // each language has a server of its own
			srv := servertest.Start(t, store, noDeliveryLoop)
			ctx := testCtx(t)
			if err := directory.LoadSample(ctx, srv.Directory); err != nil {
				t.Fatal(err)
			}
			p := newTestPartner(t)
			if err := srv.Outbox.PutPartner(ctx, referral.Partner{ID: warmService, Name: "Socio de Madrid", URL: p.srv.URL + "/in",
				Secrets: []string{p.secret}, Enabled: true, AllowPrivate: true}); err != nil {
				t.Fatal(err)
			}
			password := srv.MustAccount(t, "eva", "Eva", chat.RoleCounselor, 2)
			browser := mustBrowser(t)
			seekerTab, console := tab(t, browser), tab(t, browser)

			browse(t, seekerTab, "seeker starts a conversation from Madrid",
				chromedp.Navigate(srv.URL+"/"), visible("#intro"), chooseLanguage(lang),
				click("#start-prechat"), visible("#prechat"),
				click(`input[name="audience"][value="self"]`), typeInto("#region", "ES-MD"),
				chromedp.Evaluate[chromedp.Void](`document.getElementById('language').value = '`+lang+`'`),
				click("#start-chat"), visible("#chat"),
				typeInto("#compose", "Hola"), click("#send"),
				visible(`#messages li.from-seeker[data-state="delivered"]`))
			browse(t, console, "counsellor accepts and searches the directory",
				chromedp.Navigate(srv.URL+"/console"), visible("#login"), chooseLanguage(lang),
				typeInto("#username", "eva"), typeInto("#password", password), click("#login-submit"),
				visible("#queue button.accept"), click("#queue button.accept"),
				visible("#c-messages li.from-seeker"),
				click("#c-referral-open"),
				visible(`#c-referral-results li[data-service-id="`+warmService+`"]`))
			if region := value(t, console, "prefilled region", chromedp.Evaluate[string](`document.getElementById('c-referral-region').value`)); region != "ES-MD" {
				t.Fatalf("search prefilled with region %q", region)
			}
			first := value(t, console, "first result", chromedp.Evaluate[string](`document.querySelector('#c-referral-results li').dataset.serviceId`))
			if first != warmService {
				t.Fatalf("first result %q, want %s (Madrid first)", first, warmService)
			}
			browse(t, console, "counsellor sends the card",
				click(`#c-referral-results li[data-service-id="`+warmService+`"] button.send-card`),
				visible(`#c-referral-list li[data-status="sent"] button.offer-warm`))

			browse(t, seekerTab, "seeker sees the card", visible("#messages li.msg.card button.copy-card"))
			card := value(t, seekerTab, "card", textOf("#messages li.msg.card .msg-body"))
			if !strings.Contains(card, words[lang].contact) || !strings.Contains(card, words[lang].offers) || !strings.Contains(card, "Madrid") {
				t.Fatalf("card in %s reads %q", lang, card)
			}

			browse(t, console, "counsellor offers a warm referral",
				click(`#c-referral-list li button.offer-warm`),
				visible(`#c-referral-list li[data-status="offered"]`))
			browse(t, seekerTab, "seeker sees what would be sent and chooses",
				visible("form.referral-offer ul.would-send li"),
				click(`form.referral-offer input[value="with_contact"]`),
				visible("form.referral-offer input.referral-name"),
				typeInto("form.referral-offer input.referral-name", "Alex"),
				typeInto("form.referral-offer input.referral-contact-input", "alex@example.org"))
			shown := value(t, seekerTab, "would send", textOf("form.referral-offer ul.would-send"))
			if !strings.Contains(shown, "R-") || !strings.Contains(shown, "Alex") || !strings.Contains(shown, "alex@example.org") || !strings.Contains(shown, "ES-MD") {
				t.Fatalf("the page says it would send %q", shown)
			}
			if hits, _, _ := p.stats(); hits != 0 {
				t.Fatalf("sent before the seeker said yes: %d", hits)
			}
			browse(t, seekerTab, "seeker says yes, send this",
				click("form.referral-offer button.referral-send"),
				visible(`.referral-outcome[data-state="pending"] button.referral-withdraw`))
			browse(t, console, "counsellor sees it pending", visible(`#c-referral-list li[data-status="pending"]`))

			if n, err := deliverer(srv, p, time.Now).RunOnce(context.Background()); err != nil || n != 1 {
				t.Fatalf("delivery: %d %v", n, err)
			}
			if hits, ids, bad := p.stats(); hits != 1 || ids != 1 || bad != 0 {
				t.Fatalf("partner: %d requests, %d ids, %d bad", hits, ids, bad)
			}
			if got := p.lastPayload(t); got.Seeker.Name != "Alex" || got.Seeker.Contact != "alex@example.org" || got.Language != lang {
				t.Fatalf("partner got %+v", got)
			}
			browse(t, console, "counsellor sees it delivered", visible(`#c-referral-list li[data-status="delivered"]`))
			browse(t, seekerTab, "seeker sees it delivered", visible(`.referral-outcome[data-state="delivered"]`))
		})
	}
}
