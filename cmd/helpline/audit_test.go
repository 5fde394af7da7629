package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/counselors"
	"helpline/migrations/migrationstest"
)

// When the audit row of a staff read cannot be written, the read does not
// happen: no history or watched content reaches the client, which is told
// "unavailable", on the WebSocket and on HTTP (the audit log) alike.
func TestStaffReadIsRefusedWhenItsAuditRowCannotBeWritten(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	srv := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	ctx := testCtx(t)
	s := mustSeeker(t, ctx, srv)
	id := s.started.ConversationID
	_, token := mustCounselor(t, ctx, srv, "lola", 2)
	first := dialAs(t, ctx, srv, token)
	accept(t, ctx, first, id)
	send(t, ctx, s.Client, id, "s1", "algo muy privado")
	supPassword := srv.MustAccount(t, "vera", "Supervisora", chat.RoleSupervisor, 2)
	adminPassword := srv.MustAccount(t, "rosa", "Admin", chat.RoleAdmin, 2)

	// From here on the database refuses every audit row of a read.
	if _, err := pool.Exec(ctx, `ALTER TABLE audit_log ADD CONSTRAINT reads_fail CHECK (action <> 'read') NOT VALID`); err != nil {
		t.Fatal(err)
	}
	console := dialAs(t, ctx, srv, token)
	msgs, err := console.Sync(ctx, id, 0)
	if err == nil || !strings.Contains(err.Error(), "unavailable") || len(msgs) != 0 {
		t.Fatalf("unaudited history: %d messages, %v", len(msgs), err)
	}
	noFrame(t, console, 300*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "message" || f.Type == "synced" })

	sup, _ := signIn(t, ctx, srv, "vera", supPassword)
	sup.Send(ctx, map[string]any{"type": "watch", "conversation_id": id})
	expectError(t, ctx, sup, "unavailable")
	if msgs, err := sup.Sync(ctx, id, 0); err == nil || len(msgs) != 0 {
		t.Fatalf("unaudited watch reached the history: %d messages, %v", len(msgs), err)
	}
	send(t, ctx, s.Client, id, "s2", "otra cosa privada")
	noFrame(t, sup, 300*time.Millisecond, func(f chatclient.Frame) bool {
		return f.Type == "message" || f.Type == "conversation" && f.Conversation.ID == id
	})

	admin, err := chatclient.Login(ctx, srv.URL, "rosa", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if a := call(t, ctx, nil, http.MethodGet, srv.URL+"/api/admin/audit", admin.Token, nil, nil); a.Status != 503 || a.Code != "unavailable" {
		t.Fatalf("unaudited audit-log read: %d %s %s", a.Status, a.Code, a.Body)
	}
}

// A staff member refused a conversation that is not theirs gets exactly the
// answer for one that does not exist, and the attempt is in the audit log.
func TestRefusedStaffAttemptsAreAudited(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		owner, _ := mustCounselor(t, ctx, srv, "nora", 2)
		accept(t, ctx, owner, id)
		prober, _ := mustCounselor(t, ctx, srv, "pablo", 2)
		unknown := chat.NewID()
		var answers []string
		for _, target := range []string{id, unknown} {
			for _, frame := range []map[string]any{
				{"type": "sync", "conversation_id": target, "after_seq": 0},
				{"type": "watch", "conversation_id": target},
				{"type": "send", "conversation_id": target, "client_id": "p1", "body": "hola"},
			} {
				prober.Send(ctx, frame)
				f := expectError(t, ctx, prober, "not_found")
				answers = append(answers, f.Code+" "+f.Message)
			}
		}
		for i := range 3 {
			if answers[i] != answers[i+3] {
				t.Fatalf("a conversation that is not theirs answers %q, one that does not exist %q", answers[i], answers[i+3])
			}
		}
		pablo, err := srv.Staff.Account(ctx, "pablo")
		if err != nil {
			t.Fatal(err)
		}
		entries, err := srv.Staff.AuditLog(ctx, chat.Principal{Role: chat.RoleAdmin}, 100)
		if err != nil {
			t.Fatal(err)
		}
		refused := map[string]int{}
		for _, e := range entries {
			if e.Action == counselors.AuditReadRefused {
				if e.ActorID != pablo.ID || e.At.IsZero() {
					t.Fatalf("refusal recorded as %+v", e)
				}
				refused[e.Target]++
			}
		}
		if refused["conversation:"+id] != 3 || refused["conversation:"+unknown] != 3 || len(refused) != 2 {
			t.Fatalf("refused attempts in the audit log: %v", refused)
		}
	})
}
