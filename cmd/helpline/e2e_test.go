package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// These tests start the real server on a free port and drive it with real
// WebSocket clients, once per store.

func forEachStore(t *testing.T, test func(t *testing.T, srv *servertest.Server)) {
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			test(t, servertest.Start(t, store))
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type seeker struct {
	started chatclient.Started
	*chatclient.Client
}

func mustSeeker(t *testing.T, ctx context.Context, srv *servertest.Server) *seeker {
	t.Helper()
	st, err := chatclient.StartConversation(ctx, srv.URL, "self", "es", "Lima")
	if err != nil {
		t.Fatal(err)
	}
	c, err := chatclient.Dial(ctx, srv.URL, st.Token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.WS.CloseNow() })
	if len(c.Ready.Conversations) != 1 || c.Ready.Conversations[0].ID != st.ConversationID || c.Ready.Role != "seeker" {
		t.Fatalf("seeker ready = %s", c.Ready.Raw)
	}
	if _, err := c.Sync(ctx, st.ConversationID, 0); err != nil {
		t.Fatal(err)
	}
	return &seeker{started: st, Client: c}
}

func mustCounselor(t *testing.T, ctx context.Context, srv *servertest.Server, username string, capacity int) (*chatclient.Client, string) {
	t.Helper()
	c, in := signIn(t, ctx, srv, username, srv.MustAccount(t, username, "Consejera "+username, chat.RoleCounselor, capacity))
	return c, in.Token
}

func accept(t *testing.T, ctx context.Context, c *chatclient.Client, conversationID string) {
	t.Helper()
	if err := c.Send(ctx, map[string]any{"type": "accept", "conversation_id": conversationID}); err != nil {
		t.Fatal(err)
	}
	f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool {
		return f.Type == "error" || f.Type == "conversation" && f.Conversation.ID == conversationID
	})
	if err != nil || f.Type == "error" || f.Conversation.Status != "active" {
		t.Fatalf("accept: %s %v", f.Raw, err)
	}
	if _, err := c.Sync(ctx, conversationID, 0); err != nil {
		t.Fatal(err)
	}
}

func send(t *testing.T, ctx context.Context, c *chatclient.Client, conversationID, clientID, body string) chatclient.Frame {
	t.Helper()
	if err := c.Send(ctx, map[string]any{"type": "send", "conversation_id": conversationID, "client_id": clientID, "body": body}); err != nil {
		t.Fatal(err)
	}
	f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool {
		return (f.Type == "ack" || f.Type == "error") && (f.ClientID == clientID || f.Ref == clientID)
	})
	if err != nil || f.Type != "ack" {
		t.Fatalf("send %s: %s %v", clientID, f.Raw, err)
	}
	return f
}

func nextMessage(t *testing.T, ctx context.Context, c *chatclient.Client) chatclient.Frame {
	t.Helper()
	f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "message" })
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func expectError(t *testing.T, ctx context.Context, c *chatclient.Client, code string) chatclient.Frame {
	t.Helper()
	f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "error" || f.Type == "ack" })
	if err != nil || f.Type != "error" || f.Code != code {
		t.Fatalf("want error %s, got %s %v", code, f.Raw, err)
	}
	return f
}

func TestConversationEndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		// The seeker may write while waiting; the counsellor sees it on joining.
		send(t, ctx, s.Client, id, "s1", "Hola, no sé por dónde empezar.")
		if m := nextMessage(t, ctx, s.Client); m.Seq != 1 || m.ClientID != "s1" || m.Sender != "seeker" {
			t.Fatalf("seeker's own copy = %s", m.Raw)
		}

		c, _ := mustCounselor(t, ctx, srv, "ana", 3)
		q, err := c.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "queue" && len(f.Waiting) > 0 })
		if err != nil || q.Waiting[0].ConversationID != id || q.Waiting[0].Audience != "self" || q.Waiting[0].Region != "Lima" {
			t.Fatalf("queue = %s %v", q.Raw, err)
		}
		accept(t, ctx, c, id) // syncs from 0: the waiting message and the join

		joined := nextMessage(t, ctx, s.Client)
		if joined.Sender != "system" || joined.Kind != "joined" || joined.Name != "Consejera ana" || joined.Seq != 2 {
			t.Fatalf("seeker saw %s, want the join", joined.Raw)
		}
		if err := c.Send(ctx, map[string]any{"type": "typing", "conversation_id": id, "typing": true}); err != nil {
			t.Fatal(err)
		}
		if f, err := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "typing" }); err != nil || !f.Typing || f.Sender != "counselor" {
			t.Fatalf("typing = %s %v", f.Raw, err)
		}
		ack := send(t, ctx, c, id, "c1", "Hola, gracias por escribir. Aquí estoy.")
		if ack.Seq != 3 {
			t.Fatalf("counsellor ack seq = %d", ack.Seq)
		}
		if m := nextMessage(t, ctx, s.Client); m.Body != "Hola, gracias por escribir. Aquí estoy." || m.Sender != "counselor" || m.ClientID != "" || m.Name != "Consejera ana" {
			t.Fatalf("seeker got %s", m.Raw)
		}
		send(t, ctx, s.Client, id, "s2", "<script>alert(1)</script> & ' \" ;DROP TABLE messages")
		var got chatclient.Frame
		for got.Seq != 4 {
			got = nextMessage(t, ctx, c)
		}
		if got.Body != "<script>alert(1)</script> & ' \" ;DROP TABLE messages" {
			t.Fatalf("text changed on the way: %q", got.Body)
		}

		if err := c.Send(ctx, map[string]any{"type": "end", "conversation_id": id}); err != nil {
			t.Fatal(err)
		}
		ended, err := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "ended" })
		if err != nil || ended.Body != "counselor" {
			t.Fatalf("ended = %s %v", ended.Raw, err)
		}
		if f, err := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.Status == "ended" }); err != nil || f.Conversation.EndedBy != "counselor" {
			t.Fatalf("conversation update = %s %v", f.Raw, err)
		}
		send2 := map[string]any{"type": "send", "conversation_id": id, "client_id": "late", "body": "¿hola?"}
		s.Send(ctx, send2)
		expectError(t, ctx, s.Client, "conflict")
	})
}

func TestSeekerResumesWithNothingMissingOrDoubled(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		c, _ := mustCounselor(t, ctx, srv, "bea", 3)
		accept(t, ctx, c, id)
		var last int64
		for i := 1; i <= 3; i++ {
			last = send(t, ctx, s.Client, id, fmt.Sprint("s", i), fmt.Sprint("mensaje ", i)).Seq
		}
		// The seeker's network drops; the counsellor keeps writing.
		s.WS.CloseNow()
		for i := 1; i <= 4; i++ {
			send(t, ctx, c, id, fmt.Sprint("c", i), fmt.Sprint("respuesta ", i))
		}
		again, err := chatclient.Dial(ctx, srv.URL, s.started.Token)
		if err != nil {
			t.Fatal(err)
		}
		defer again.WS.CloseNow()
		if again.Ready.Conversations[0].LastSeq != last+4 {
			t.Fatalf("ready last_seq = %d, want %d", again.Ready.Conversations[0].LastSeq, last+4)
		}
		msgs, err := again.Sync(ctx, id, last)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 4 {
			t.Fatalf("resume delivered %d messages, want 4", len(msgs))
		}
		for i, m := range msgs {
			if m.Seq != last+int64(i)+1 || m.Body != fmt.Sprint("respuesta ", i+1) {
				t.Fatalf("resumed message %d = %s", i, m.Raw)
			}
		}
		// A full replay (a reload) has every message once, in order.
		full, err := again.Sync(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range full {
			if m.Seq != int64(i+1) {
				t.Fatalf("replay message %d has seq %d", i, m.Seq)
			}
		}
		if len(full) != int(last)+4 {
			t.Fatalf("replay has %d messages, want %d", len(full), last+4)
		}
		// Live delivery continues after the resume.
		send(t, ctx, c, id, "c5", "¿sigues ahí?")
		if m := nextMessage(t, ctx, again); m.Seq != last+5 {
			t.Fatalf("live after resume = %s", m.Raw)
		}
	})
}

func TestRetriedSendIsStoredOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		first := send(t, ctx, s.Client, id, "same-id", "una vez")
		second := send(t, ctx, s.Client, id, "same-id", "una vez")
		// And again after reconnecting, as a client that never saw the ack would.
		s.WS.CloseNow()
		again, err := chatclient.Dial(ctx, srv.URL, s.started.Token)
		if err != nil {
			t.Fatal(err)
		}
		defer again.WS.CloseNow()
		third := send(t, ctx, again, id, "same-id", "una vez")
		if first.Seq != 1 || second.Seq != 1 || third.Seq != 1 {
			t.Fatalf("acks for one client_id: %d, %d, %d", first.Seq, second.Seq, third.Seq)
		}
		msgs, err := again.Sync(ctx, id, 0)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("stored %d messages (%v), want 1", len(msgs), err)
		}
	})
}

func TestSeekerCredentialReachesOnlyItsConversation(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		mine := mustSeeker(t, ctx, srv)
		theirs := mustSeeker(t, ctx, srv)
		other := theirs.started.ConversationID
		send(t, ctx, theirs.Client, other, "t1", "privado")

		for _, frame := range []map[string]any{
			{"type": "sync", "conversation_id": other, "after_seq": 0},
			{"type": "send", "conversation_id": other, "client_id": "x1", "body": "hola"},
			{"type": "typing", "conversation_id": other, "typing": true},
			{"type": "end", "conversation_id": other},
			{"type": "accept", "conversation_id": other},
		} {
			if err := mine.Send(ctx, frame); err != nil {
				t.Fatal(err)
			}
			expectError(t, ctx, mine.Client, "not_found")
		}
		// Nothing reached the other seeker, and their conversation is untouched.
		msgs, err := theirs.Sync(ctx, other, 0)
		if err != nil || len(msgs) != 1 || msgs[0].Body != "privado" {
			t.Fatalf("other conversation now holds %d messages (%v)", len(msgs), err)
		}
		// A seeker credential is not a staff token.
		err = chatclient.PostJSON(ctx, srv.URL+"/api/staff/logout", mine.started.Token, map[string]any{}, http.StatusNoContent, nil)
		if se, ok := err.(*chatclient.StatusError); !ok || se.Status != http.StatusUnauthorized {
			t.Fatalf("seeker token on a staff endpoint: %v", err)
		}
	})
}

func TestBadFramesGetClearErrorsAndLoseNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		send(t, ctx, s.Client, id, "ok1", "antes")
		for _, raw := range []string{
			`not json`,
			`{"type":"send"`,
			`[]`,
			`{}`,
			`{"type":"fly"}`,
			`{"type":"send","conversation_id":"` + id + `","client_id":"a","body":"x","colour":"red"}`,
			`{"type":"send","conversation_id":"` + id + `","client_id":7,"body":"x"}`,
			`{"type":"send","conversation_id":"` + id + `","client_id":"a b","body":"x"}`,
			`{"type":"send","conversation_id":"` + id + `","client_id":"a","body":""}`,
			`{"type":"send","conversation_id":"` + id + `","client_id":"a","body":"nul\u0000"}`,
			`{"type":"send","conversation_id":"` + id + `","client_id":"a","body":"` + strings.Repeat("a", chat.MaxBodyChars+1) + `"}`,
			`{"type":"sync","conversation_id":"` + id + `","after_seq":-1}`,
			`{"type":"sync","conversation_id":"` + id + `","after_seq":"0"}`,
			`{"type":"end","conversation_id":"` + id + `","reason":"bored"}`,
			`{"type":"send","conversation_id":"` + id + `","client_id":"a","body":"x"} {"type":"ping"}`,
			"{\"type\":\"send\",\"conversation_id\":\"" + id + "\",\"client_id\":\"a\",\"body\":\"\xff\xfe\"}",
		} {
			if err := s.SendRaw(ctx, []byte(raw)); err != nil {
				t.Fatal(err)
			}
			f := expectError(t, ctx, s.Client, "invalid")
			if f.Message == "" {
				t.Errorf("error for %.40q has no message", raw)
			}
		}
		// Server-owned fields are ignored, not trusted.
		if err := s.Send(ctx, map[string]any{"type": "send", "conversation_id": id, "client_id": "own", "body": "yo",
			"sender": "counselor", "seq": 99, "sent_at": "2000-01-01T00:00:00Z"}); err != nil {
			t.Fatal(err)
		}
		ack, _ := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "ack" })
		if ack.Seq != 2 {
			t.Fatalf("ack seq = %d, want 2", ack.Seq)
		}
		msgs, _ := s.Sync(ctx, id, 0)
		if len(msgs) != 2 || msgs[1].Sender != "seeker" || msgs[0].Body != "antes" {
			t.Fatalf("history after bad frames: %d messages", len(msgs))
		}
		// Binary frames are refused but the connection survives.
		s.WS.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3})
		expectError(t, ctx, s.Client, "invalid")
		// An oversized frame closes the connection with 1009; nothing was stored.
		s.SendRaw(ctx, []byte(`{"type":"send","conversation_id":"`+id+`","client_id":"big","body":"`+strings.Repeat("a", 20000)+`"}`))
		_, err := s.WaitFor(ctx, func(chatclient.Frame) bool { return false })
		if code := chatclient.CloseStatus(err); code != websocket.StatusMessageTooBig {
			t.Fatalf("oversized frame: close %v (%v)", code, err)
		}
		again, err := chatclient.Dial(ctx, srv.URL, s.started.Token)
		if err != nil {
			t.Fatal(err)
		}
		defer again.WS.CloseNow()
		if msgs, _ := again.Sync(ctx, id, 0); len(msgs) != 2 {
			t.Fatalf("after oversized frame: %d messages stored, want 2", len(msgs))
		}
	})
}

func TestBadCredentialsAreRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		for name, token := range map[string]string{
			"garbage":  "not-a-token",
			"alg none": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.",
		} {
			_, err := chatclient.Dial(ctx, srv.URL, token)
			if code := chatclient.CloseStatus(err); code != chat.StatusBadToken {
				t.Errorf("%s token: close %v (%v)", name, code, err)
			}
		}
		// No auth frame at all: the first frame is something else.
		ws, _, err := websocket.Dial(ctx, chatclient.WSURL(srv.URL), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {srv.URL}}})
		if err != nil {
			t.Fatal(err)
		}
		ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`))
		c := chatclient.NewClient(ws)
		_, err = c.WaitFor(ctx, func(chatclient.Frame) bool { return false })
		if code := chatclient.CloseStatus(err); code != chat.StatusBadToken {
			t.Errorf("frame before auth: close %v", code)
		}
		// A foreign origin cannot open a socket at all.
		_, resp, err := websocket.Dial(ctx, chatclient.WSURL(srv.URL), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("foreign origin: %v", err)
		}
		// Wrong passwords get one generic answer.
		srv.MustAccount(t, "carla", "Carla", chat.RoleCounselor, 2)
		for _, user := range []string{"carla", "nobody"} {
			_, err := chatclient.Login(ctx, srv.URL, user, "wrong password!")
			if se, ok := err.(*chatclient.StatusError); !ok || se.Status != 401 || !strings.Contains(se.Body, "wrong username or password") {
				t.Errorf("login %s: %v", user, err)
			}
		}
	})
}

func TestCounselorReconnectGetsLiveConversationsAndCapacityHolds(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		a, b, extra := mustSeeker(t, ctx, srv), mustSeeker(t, ctx, srv), mustSeeker(t, ctx, srv)
		c, token := mustCounselor(t, ctx, srv, "dani", 2)
		accept(t, ctx, c, a.started.ConversationID)
		accept(t, ctx, c, b.started.ConversationID)
		c.Send(ctx, map[string]any{"type": "accept", "conversation_id": extra.started.ConversationID})
		expectError(t, ctx, c, "conflict")
		c.WS.CloseNow()

		again, err := chatclient.Dial(ctx, srv.URL, token)
		if err != nil {
			t.Fatal(err)
		}
		defer again.WS.CloseNow()
		ids := map[string]bool{}
		for _, conv := range again.Ready.Conversations {
			ids[conv.ID] = true
		}
		if len(ids) != 2 || !ids[a.started.ConversationID] || !ids[b.started.ConversationID] || again.Ready.Staff.Capacity != 2 {
			t.Fatalf("ready after reconnect = %s", again.Ready.Raw)
		}
		for _, s := range []*seeker{a, b} {
			msgs, err := again.Sync(ctx, s.started.ConversationID, 0)
			if err != nil || len(msgs) != 1 || msgs[0].Kind != "joined" {
				t.Fatalf("sync after reconnect: %d messages (%v)", len(msgs), err)
			}
		}
	})
}

// A console that was away when its conversation ended is not given it in
// ready, but may still sync it to read the last messages and the end; a
// colleague who never held it may not.
func TestCounselorAwayWhenItEndedCanSyncItsTail(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		c, token := mustCounselor(t, ctx, srv, "eli", 2)
		accept(t, ctx, c, id)
		c.WS.CloseNow()

		send(t, ctx, s.Client, id, "last-1", "Gracias por escucharme.")
		if err := s.Send(ctx, map[string]any{"type": "end", "conversation_id": id, "reason": ""}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "ended" }); err != nil {
			t.Fatal(err)
		}

		again, err := chatclient.Dial(ctx, srv.URL, token)
		if err != nil {
			t.Fatal(err)
		}
		defer again.WS.CloseNow()
		if len(again.Ready.Conversations) != 0 {
			t.Fatalf("ready lists an ended conversation: %s", again.Ready.Raw)
		}
		msgs, err := again.Sync(ctx, id, 1) // it had seen the join (seq 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[0].Body != "Gracias por escucharme." || msgs[1].Kind != "ended" {
			t.Fatalf("tail after reconnect: %d messages: %v", len(msgs), msgs)
		}

		other, _ := mustCounselor(t, ctx, srv, "fer", 2)
		if err := other.Send(ctx, map[string]any{"type": "sync", "conversation_id": id, "after_seq": 0}); err != nil {
			t.Fatal(err)
		}
		expectError(t, ctx, other, "not_found")
	})
}

func TestSignOutClosesOpenSockets(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		c, token := mustCounselor(t, ctx, srv, "eva", 2)
		if err := chatclient.PostJSON(ctx, srv.URL+"/api/staff/logout", token, map[string]any{}, http.StatusNoContent, nil); err != nil {
			t.Fatal(err)
		}
		_, err := c.WaitFor(ctx, func(chatclient.Frame) bool { return false })
		if code := chatclient.CloseStatus(err); code != chat.StatusRevoked {
			t.Fatalf("socket after sign-out: close %v (%v)", code, err)
		}
		if _, err := chatclient.Dial(ctx, srv.URL, token); chatclient.CloseStatus(err) != chat.StatusBadToken {
			t.Fatalf("signed-out token still opens a socket: %v", err)
		}
	})
}

func TestQuickExitEndsTheConversationAsLeft(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		c, _ := mustCounselor(t, ctx, srv, "flor", 2)
		accept(t, ctx, c, id)
		for range 2 { // a second beacon is harmless
			if err := chatclient.PostJSON(ctx, srv.URL+"/api/seeker/leave", "", map[string]string{"token": s.started.Token}, http.StatusNoContent, nil); err != nil {
				t.Fatal(err)
			}
		}
		m, err := c.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "ended" })
		if err != nil || m.Body != "left" {
			t.Fatalf("counsellor saw %s %v", m.Raw, err)
		}
		err = chatclient.PostJSON(ctx, srv.URL+"/api/seeker/leave", "", map[string]string{"token": "forged"}, http.StatusNoContent, nil)
		if se, ok := err.(*chatclient.StatusError); !ok || se.Status != 401 {
			t.Fatalf("leave with a forged token: %v", err)
		}
	})
}

func jsonDecode(resp *http.Response, out any) error {
	return json.NewDecoder(resp.Body).Decode(out)
}

func TestSupervisorWatchesSilentlyAndIsAudited(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		c, _ := mustCounselor(t, ctx, srv, "gema", 2)
		accept(t, ctx, c, id)
		send(t, ctx, s.Client, id, "s1", "antes de mirar")

		// A counsellor who is not assigned cannot watch.
		other, _ := mustCounselor(t, ctx, srv, "hugo", 2)
		other.Send(ctx, map[string]any{"type": "watch", "conversation_id": id})
		expectError(t, ctx, other, "not_found")

		password := srv.MustAccount(t, "sup", "Supervisora", chat.RoleSupervisor, 2)
		in, err := chatclient.Login(ctx, srv.URL, "sup", password)
		if err != nil {
			t.Fatal(err)
		}
		sup, err := chatclient.Dial(ctx, srv.URL, in.Token)
		if err != nil {
			t.Fatal(err)
		}
		defer sup.WS.CloseNow()
		sup.Send(ctx, map[string]any{"type": "watch", "conversation_id": id})
		if _, err := sup.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id }); err != nil {
			t.Fatal(err)
		}
		history, err := sup.Sync(ctx, id, 0)
		if err != nil || len(history) != 2 || history[1].Body != "antes de mirar" {
			t.Fatalf("watched history = %v %v", history, err)
		}
		send(t, ctx, c, id, "c1", "en directo")
		if m := nextMessage(t, ctx, sup); m.Body != "en directo" {
			t.Fatalf("supervisor saw %s", m.Raw)
		}
		for _, frame := range []map[string]any{
			{"type": "send", "conversation_id": id, "client_id": "sup1", "body": "hola"},
			{"type": "typing", "conversation_id": id, "typing": true},
			{"type": "end", "conversation_id": id},
		} {
			sup.Send(ctx, frame)
			expectError(t, ctx, sup, "not_found")
		}
		noFrame(t, s.Client, 300*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "typing" })
		entries, err := srv.Staff.AuditLog(ctx, chat.Principal{Role: chat.RoleAdmin}, 100)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range entries {
			if e.Action == "read" && e.Target == "conversation:"+id && e.Detail == "watch" {
				found = true
			}
		}
		if !found {
			t.Fatalf("the watch was not audited: %+v", entries)
		}
	})
}

func TestMetricsCountWithoutNamingAnyone(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		send(t, ctx, s.Client, s.started.ConversationID, "m1", "texto que no debe aparecer en las métricas")
		rec := httptest.NewRecorder()
		srv.Metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		out := rec.Body.String()
		for _, want := range []string{`helpline_connections{role="seeker"} 1`, "helpline_messages_stored_total 1", "helpline_store_batch_messages_count"} {
			if !strings.Contains(out, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		for _, secret := range []string{s.started.ConversationID, "no debe aparecer", "127.0.0.1"} {
			if strings.Contains(out, secret) {
				t.Errorf("metrics contain %q", secret)
			}
		}
	})
}
