package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestBrowserQueueAtCapacityShowsHowManyWait: a counsellor with room for
// one sees the waiting list and accepts from it; at capacity the console
// says how many wait (the server sends only the number then) and that she
// is at capacity; when her conversation ends the list is back, with the
// one still waiting. Spanish on the memory store, English on PostgreSQL.
func TestBrowserQueueAtCapacityShowsHowManyWait(t *testing.T) {
	browser := mustBrowser(t)
	for _, lang := range []string{"es", "en"} {
		t.Run(lang, func(t *testing.T) {
			srv := servertest.Start(t, uiStores[lang])
			tr := uiTexts(t, srv, lang)
			password := srv.MustAccount(t, "marta", "Marta", chat.RoleCounselor, 1)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			first, err := chatclient.StartConversation(ctx, srv.URL, "self", lang, "")
			if err != nil {
				t.Fatal(err)
			}
			console := tab(t, browser)
			uiSignIn(t, console, srv, lang, "marta", password)
			uiBrowse(t, console, "Marta accepts the one waiting",
				visible("#queue button.accept"), click("#queue button.accept"), visible("#c-id"))
			if _, err := chatclient.StartConversation(ctx, srv.URL, "self", lang, ""); err != nil {
				t.Fatal(err)
			}
			uiBrowse(t, console, "at capacity, the console says how many wait, not who",
				uiTextIs("#queue-more", uiTr(t, tr, "console.queue_waiting", "count", 1)),
				visible("#queue-full"),
				uiWait(`document.querySelectorAll('#queue li.queue-item').length === 0 && document.getElementById('queue-empty').hidden`))
			seeker, err := chatclient.Dial(ctx, srv.URL, first.Token)
			if err != nil {
				t.Fatal(err)
			}
			defer seeker.WS.CloseNow()
			if err := seeker.Send(ctx, map[string]any{"type": "end", "conversation_id": first.ConversationID, "reason": "left"}); err != nil {
				t.Fatal(err)
			}
			uiBrowse(t, console, "with room again the list is back",
				visible("#queue li.queue-item button.accept"),
				chromedp.WaitNotVisible(chromedp.CSS("#queue-full")),
				uiWait(`document.getElementById('queue-more').hidden`))
		})
	}
}
