package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// TestBlockedConversationPausesThatBrowserOnly: a counsellor ends an
// abusive conversation as blocked (audited); its seeker is told it ended
// as blocked and gets a pause marker that names no conversation; starting
// again with the marker is refused as "paused" until a time, without it (a
// browser that never had it) works. A seeker cannot end as blocked.
func TestBlockedConversationPausesThatBrowserOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		counselor, _ := mustCounselor(t, ctx, srv, "bloqueo", 2)
		accept(t, ctx, counselor, id)

		// A pause is only for a conversation ended as blocked.
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/pause", "", map[string]string{"token": s.started.Token}, nil); a.Status != 409 {
			t.Fatalf("pause marker for an active conversation: %d %s, want 409", a.Status, a.Body)
		}
		// The seeker cannot end as blocked.
		s.Send(ctx, map[string]any{"type": "end", "conversation_id": id, "reason": "blocked"})
		expectError(t, ctx, s.Client, "invalid")

		if err := counselor.Send(ctx, map[string]any{"type": "end", "conversation_id": id, "reason": "blocked"}); err != nil {
			t.Fatal(err)
		}
		f := waitFrame(t, ctx, s.Client, "the end", func(f chatclient.Frame) bool {
			return f.Type == "conversation" && f.Conversation.Status == "ended"
		})
		if f.Conversation.EndedBy != "blocked" {
			t.Fatalf("seeker told the conversation ended by %q, want blocked", f.Conversation.EndedBy)
		}

		a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/pause", "", map[string]string{"token": s.started.Token}, nil)
		var got struct{ Marker, Until string }
		if a.Status != 200 || json.Unmarshal(a.Body, &got) != nil || got.Marker == "" || got.Until == "" {
			t.Fatalf("pause marker: %d %s", a.Status, a.Body)
		}
		// The marker says nothing of the conversation.
		parts := strings.Split(got.Marker, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if strings.Contains(string(payload), id) || strings.Contains(string(payload), `"sub"`) {
			t.Fatalf("the pause marker carries %s: it must not name the conversation", payload)
		}

		body := map[string]any{"audience": "self", "language": "es", "pause": got.Marker}
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/conversations", "", body, nil); a.Status != 503 || a.Code != "closed" ||
			!strings.Contains(string(a.Body), `"reason":"paused"`) || !strings.Contains(string(a.Body), "next_open") {
			t.Fatalf("start with the pause marker: %d %s, want 503 closed, reason paused, with next_open", a.Status, a.Body)
		}
		// Someone else (no marker, or one that is not ours) starts as usual.
		for _, marker := range []string{"", s.started.Token, "not.a.marker"} {
			body["pause"] = marker
			if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/conversations", "", body, nil); a.Status != 201 {
				t.Fatalf("start with pause %q: %d %s, want 201", marker, a.Status, a.Body)
			}
		}

		entries, err := srv.Staff.AuditLog(ctx, chat.Principal{Role: chat.RoleAdmin}, 100)
		if err != nil {
			t.Fatal(err)
		}
		blocked := 0
		for _, e := range entries {
			if e.Action == "conversation.blocked" && e.Target == "conversation:"+id {
				blocked++
			}
		}
		if blocked != 1 {
			t.Fatalf("%d audit rows for the block, want 1", blocked)
		}
	})
}
