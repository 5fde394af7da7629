package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestNoJSAsksBeforeSendingAndHonoursAPause: without JavaScript, a
// message that looks like it could identify someone is held with the
// question (same text and client id back), "send anyway" sends it; a
// conversation the counsellor ends as blocked gives this browser a pause
// cookie, and starting again shows the pause instead of a conversation.
func TestNoJSAsksBeforeSendingAndHonoursAPause(t *testing.T) {
	srv := servertest.Start(t, "memory")
	ctx := testCtx(t)
	counselor, _ := mustCounselor(t, ctx, srv, "nojsblock", 2)
	b := newFormBrowser(t, srv)
	form := fields(b.start())
	form.Set("body", "mi móvil es 612 345 678")
	status, page := b.do("POST", "/nojs/send", form, nil)
	if status != http.StatusOK || !strings.Contains(page, `id="identify-text"`) || !strings.Contains(page, "612 345 678") ||
		fields(page).Get("client_id") != form.Get("client_id") {
		t.Fatalf("an identifying message was not held with the question: %d\n%.1500s", status, page)
	}
	if _, log := b.do("GET", "/nojs/log", nil, nil); strings.Contains(log, "612 345 678") {
		t.Fatal("the held message was sent before the person chose")
	}
	form.Set("identify_ok", "1")
	if status, _ := b.do("POST", "/nojs/send", form, nil); status != http.StatusSeeOther {
		t.Fatalf("send anyway: %d, want 303", status)
	}
	if _, log := b.do("GET", "/nojs/log", nil, nil); strings.Count(log, "612 345 678") != 1 {
		t.Fatal("the message sent anyway is not in the conversation once")
	}

	q := waitFrame(t, ctx, counselor, "the queue", func(f chatclient.Frame) bool { return f.Type == "queue" && len(f.Waiting) == 1 })
	id := q.Waiting[0].ConversationID
	accept(t, ctx, counselor, id)
	if err := counselor.Send(ctx, map[string]any{"type": "end", "conversation_id": id, "reason": "blocked"}); err != nil {
		t.Fatal(err)
	}
	if !eventually(ctx, 50*time.Millisecond, func() bool {
		_, page = b.do("GET", "/nojs/chat", nil, nil)
		return b.cookies["helpline_pause"] != "" && strings.Contains(page, "en pausa")
	}) {
		t.Fatalf("no pause cookie or calm closing text after the block (cookies %v)", b.cookies)
	}
	b.do("POST", "/nojs/new", fields(page), nil)
	_, pre := b.do("GET", "/nojs/start", nil, nil)
	f := fields(pre)
	f.Set("audience", "self")
	status, closed := b.do("POST", "/nojs/start", f, nil)
	if status != http.StatusOK || !strings.Contains(closed, "en pausa") || b.cookies["helpline_seeker"] != "" && strings.Contains(closed, "nojs/chat") {
		t.Fatalf("starting again while paused: %d\n%.1500s", status, closed)
	}
}
