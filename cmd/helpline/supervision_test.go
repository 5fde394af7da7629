package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// TestSupervision: watching is shown to the counsellor and never to the
// seeker; a whisper reaches the counsellor and never the seeker, neither
// live nor in a replay, and leaves no gap in the seeker's sequence; a
// supervisor who joins writes beside the counsellor and the seeker is told,
// and leaving is announced; a take-over moves the conversation and its
// history to the supervisor and the counsellor stops receiving it. Both
// stores, one instance.
func TestSupervision(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) { runSupervision(t, srv, srv) })
}

// The same with the counsellor and the seeker on one instance and the
// supervisor on another, sharing one database.
func TestSupervisionAcrossInstances(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	one := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	two := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	runSupervision(t, one, two)
}

const whisperText = "Pregúntale con calma si hay un menor en peligro ahora mismo"

// supervisionView is GET …/supervision decoded.
type supervisionView struct {
	Watchers []struct{ ID, Name, Role string } `json:"watchers"`
	Joined   *struct{ ID, Name string }        `json:"joined"`
	Whispers []struct {
		ID, From, Body string
	} `json:"whispers"`
}

func getSupervision(t *testing.T, ctx context.Context, srv *servertest.Server, id, token string) (supervisionView, apiAnswer) {
	t.Helper()
	a := call(t, ctx, nil, "GET", srv.URL+"/api/staff/conversations/"+id+"/supervision", token, nil, nil)
	var v supervisionView
	if a.Status == 200 {
		if err := json.Unmarshal(a.Body, &v); err != nil {
			t.Fatal(err)
		}
	}
	return v, a
}

func runSupervision(t *testing.T, one, two *servertest.Server) {
	ctx := testCtx(t)
	s := mustSeeker(t, ctx, one)
	id := s.started.ConversationID
	ana, anaIn := signIn(t, ctx, one, "ana", one.MustAccount(t, "ana", "Ana", chat.RoleCounselor, 3))
	accept(t, ctx, ana, id)
	if _, err := ana.Sync(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	seeker, stop := record(ctx, "the seeker", s.Client)
	defer stop()
	send(t, ctx, ana, id, "a1", "Hola, estoy aquí para escucharte")
	seeker.waitFor(t, "the counsellor's first message", func(f chatclient.Frame) bool { return f.Type == "message" && f.Seq == 2 })

	sam, samIn := signIn(t, ctx, two, "sam", two.MustAccount(t, "sam", "Sam", chat.RoleSupervisor, 3))
	samToken := samIn.Token
	if err := sam.Send(ctx, map[string]any{"type": "watch", "conversation_id": id}); err != nil {
		t.Fatal(err)
	}
	waitFrame(t, ctx, sam, "the watched conversation", func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id })
	if _, err := sam.Sync(ctx, id, 0); err != nil {
		t.Fatal(err)
	}

	// 1. The counsellor sees who watches, live and on asking; the list is
	// the same from either instance.
	w := waitFrame(t, ctx, ana, "who is watching", func(f chatclient.Frame) bool {
		return f.Type == "watchers" && f.ConversationID == id && strings.Contains(string(f.Raw), `"name":"Sam"`)
	})
	if !strings.Contains(string(w.Raw), `"role":"supervisor"`) || !strings.Contains(string(w.Raw), `"id":"`+samIn.Staff.ID+`"`) {
		t.Fatalf("watchers frame %s", w.Raw)
	}
	for _, srv := range []*servertest.Server{one, two} {
		list, err := srv.Oversight.Watchers(ctx, id)
		if err != nil || len(list) != 1 || list[0].Name != "Sam" || list[0].ID != samIn.Staff.ID {
			t.Fatalf("Watchers = %+v, %v", list, err)
		}
	}

	// A second watcher, then the end of that watch: the list follows.
	lu, _ := signIn(t, ctx, two, "lu", two.MustAccount(t, "lu", "Lu", chat.RoleAdmin, 1))
	lu.Send(ctx, map[string]any{"type": "watch", "conversation_id": id})
	waitFrame(t, ctx, ana, "two watchers", func(f chatclient.Frame) bool {
		return f.Type == "watchers" && strings.Contains(string(f.Raw), `"name":"Lu","role":"admin"`) && strings.Contains(string(f.Raw), `"name":"Sam"`)
	})
	lu.Send(ctx, map[string]any{"type": "unwatch", "conversation_id": id})
	waitFrame(t, ctx, ana, "Lu gone from the watchers", func(f chatclient.Frame) bool {
		return f.Type == "watchers" && !strings.Contains(string(f.Raw), `"Lu"`) && strings.Contains(string(f.Raw), `"name":"Sam"`)
	})

	// 2. A whisper: to the counsellor, never to the seeker.
	whisper := map[string]any{"client_id": "w-1", "body": whisperText}
	first := call(t, ctx, nil, "POST", two.URL+"/api/staff/conversations/"+id+"/whispers", samToken, whisper, nil)
	if first.Status != 201 {
		t.Fatalf("whisper: %d %s", first.Status, first.Body)
	}
	var posted struct{ Whisper struct{ ID, Body string } }
	json.Unmarshal(first.Body, &posted)
	wf := waitFrame(t, ctx, ana, "the whisper", func(f chatclient.Frame) bool { return f.Type == "whisper" && f.ConversationID == id })
	if !strings.Contains(string(wf.Raw), posted.Whisper.ID) || strings.Contains(string(wf.Raw), "calma") {
		t.Fatalf("whisper frame %s (want the id %s and no text)", wf.Raw, posted.Whisper.ID)
	}
	retry := call(t, ctx, nil, "POST", two.URL+"/api/staff/conversations/"+id+"/whispers", samToken, whisper, nil)
	if retry.Status != 201 || string(retry.Body) != string(first.Body) {
		t.Fatalf("a retried whisper: %d %s, want the first answer %s", retry.Status, retry.Body, first.Body)
	}
	v, a := getSupervision(t, ctx, one, id, anaIn.Token)
	if a.Status != 200 || len(v.Whispers) != 1 || v.Whispers[0].Body != whisperText || v.Whispers[0].From != "Sam" || len(v.Watchers) != 1 {
		t.Fatalf("the counsellor's supervision view: %d %s", a.Status, a.Body)
	}
	if _, a := getSupervision(t, ctx, one, id, s.started.Token); a.Status != 401 {
		t.Fatalf("the seeker's credential read the supervision view: %d %s", a.Status, a.Body)
	}
	// The seeker's sequence goes on with no gap: the next message is the next number.
	send(t, ctx, ana, id, "a2", "¿Cómo te sientes ahora?")
	seeker.waitFor(t, "the message after the whisper", func(f chatclient.Frame) bool {
		return f.Type == "message" && f.Seq == 3 && f.Body == "¿Cómo te sientes ahora?"
	})

	// 3. Join: the seeker is told; the supervisor writes beside the counsellor.
	join := call(t, ctx, nil, "POST", two.URL+"/api/staff/conversations/"+id+"/join", samToken, map[string]any{}, nil)
	if join.Status != 200 {
		t.Fatalf("join: %d %s", join.Status, join.Body)
	}
	if again := call(t, ctx, nil, "POST", two.URL+"/api/staff/conversations/"+id+"/join", samToken, nil, nil); again.Status != 200 {
		t.Fatalf("joining again: %d %s", again.Status, again.Body)
	}
	seeker.waitFor(t, "another member joined", func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "staff_joined" })
	waitFrame(t, ctx, sam, "the join in the sequence", func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "staff_joined" })
	send(t, ctx, sam, id, "s1", "Hola, soy otra persona del equipo")
	seeker.waitFor(t, "the supervisor's message", func(f chatclient.Frame) bool {
		return f.Type == "message" && f.Body == "Hola, soy otra persona del equipo" && f.Sender == "counselor" && f.Name == "Sam"
	})
	waitFrame(t, ctx, ana, "the supervisor's message", func(f chatclient.Frame) bool { return f.Type == "message" && f.Name == "Sam" })
	if err := sam.Send(ctx, map[string]any{"type": "typing", "conversation_id": id, "typing": true}); err != nil {
		t.Fatal(err)
	}
	seeker.waitFor(t, "the supervisor typing", func(f chatclient.Frame) bool { return f.Type == "typing" && f.Typing })
	if v, _ := getSupervision(t, ctx, one, id, anaIn.Token); v.Joined == nil || v.Joined.Name != "Sam" {
		t.Fatalf("the view does not say Sam joined: %+v", v)
	}
	// Leaving is announced; then the supervisor only watches again.
	if a := call(t, ctx, nil, "POST", two.URL+"/api/staff/conversations/"+id+"/leave", samToken, nil, nil); a.Status != 200 {
		t.Fatalf("leave: %d %s", a.Status, a.Body)
	}
	leftAt := seeker.waitForFrame(t, "the supervisor left", func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "staff_left" })
	if err := sam.Send(ctx, map[string]any{"type": "send", "conversation_id": id, "client_id": "s2", "body": "x"}); err != nil {
		t.Fatal(err)
	}
	if e := waitFrame(t, ctx, sam, "the refusal", func(f chatclient.Frame) bool { return f.Type == "error" || f.Type == "ack" }); e.Code != "not_found" {
		t.Fatalf("a supervisor who left wrote: %s", e.Raw)
	}

	// 4. Take-over: to the supervisor, history and all; the counsellor is
	// told and hears nothing more.
	waitFrame(t, ctx, ana, "the leaving", func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "staff_left" })
	waitFrame(t, ctx, ana, "the state after leaving", func(f chatclient.Frame) bool {
		return f.Type == "conversation" && f.Conversation.ID == id && f.Conversation.LastSeq == leftAt.Seq
	})
	ana.Discard()
	take := call(t, ctx, nil, "POST", two.URL+"/api/staff/conversations/"+id+"/take-over", samToken, nil, nil)
	if take.Status != 200 || !strings.Contains(string(take.Body), `"counselor_id":"`+samIn.Staff.ID+`"`) {
		t.Fatalf("take-over: %d %s", take.Status, take.Body)
	}
	if again := call(t, ctx, nil, "POST", two.URL+"/api/staff/conversations/"+id+"/take-over", samToken, nil, nil); again.Status != 200 {
		t.Fatalf("taking over again: %d %s", again.Status, again.Body)
	}
	tf := waitFrame(t, ctx, ana, "taken over", func(f chatclient.Frame) bool { return f.Type == "taken_over" && f.ConversationID == id })
	if !strings.Contains(string(tf.Raw), `"by":"Sam"`) {
		t.Fatalf("taken_over frame %s", tf.Raw)
	}
	waitFrame(t, ctx, ana, "the conversation leaving", func(f chatclient.Frame) bool {
		return f.Type == "conversation" && f.Conversation.ID == id && f.Conversation.CounselorID == samIn.Staff.ID
	})
	moved := seeker.waitForFrame(t, "the calm line", func(f chatclient.Frame) bool { return f.Type == "message" && f.Kind == "transferred" })
	if moved.Name != "Sam" {
		t.Fatalf("transferred line %s", moved.Raw)
	}
	writer := dialAs(t, ctx, one, s.started.Token) // s.Client is the recorder's to read
	send(t, ctx, writer, id, "k1", "Vale, gracias")
	waitFrame(t, ctx, sam, "the seeker's message", func(f chatclient.Frame) bool { return f.Type == "message" && f.Body == "Vale, gracias" })
	// (The "transferred" line itself may still reach them, as after any
	// transfer: it is what moved the conversation. Nothing after it.)
	for _, f := range collect(ctx, ana, 300*time.Millisecond) {
		if activityAbout(f, id) && !(f.Type == "message" && f.Seq == moved.Seq) && f.Type != "conversation" {
			t.Fatalf("the counsellor taken off received %s", f.Raw)
		}
	}
	if err := ana.Send(ctx, map[string]any{"type": "send", "conversation_id": id, "client_id": "a3", "body": "x"}); err != nil {
		t.Fatal(err)
	}
	if e := waitFrame(t, ctx, ana, "the refusal", func(f chatclient.Frame) bool { return f.Type == "error" || f.Type == "ack" }); e.Code != "not_found" {
		t.Fatalf("the counsellor taken off wrote: %s", e.Raw)
	}
	if _, a := getSupervision(t, ctx, one, id, anaIn.Token); a.Status != 404 {
		t.Fatalf("the counsellor taken off read the whispers: %d", a.Status)
	}
	fresh := dialAs(t, ctx, two, samToken)
	if !slices.ContainsFunc(fresh.Ready.Conversations, func(c chatclient.Conversation) bool { return c.ID == id }) {
		t.Fatalf("the supervisor's ready lacks the conversation: %s", fresh.Ready.Raw)
	}
	history, err := fresh.Sync(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}

	// 5. Nothing of the whisper ever reached the seeker: not live, not in a
	// replay; and the replay has no gap.
	for _, f := range seeker.all() {
		if f.Type == "whisper" || f.Type == "watchers" || f.Type == "taken_over" || strings.Contains(string(f.Raw), "calma") {
			t.Fatalf("the seeker got %s", f.Raw)
		}
	}
	replay := dialAs(t, ctx, one, s.started.Token)
	msgs, err := replay.Sync(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for i, m := range msgs {
		if m.Seq != int64(i+1) || strings.Contains(string(m.Raw), "calma") {
			t.Fatalf("seeker replay message %d: %s", i+1, m.Raw)
		}
		kinds[m.Kind]++
	}
	if kinds["staff_joined"] != 1 || kinds["staff_left"] != 1 || kinds["transferred"] != 1 || len(history) != len(msgs) {
		t.Fatalf("seeker replay kinds %v (%d messages; the supervisor's replay has %d)", kinds, len(msgs), len(history))
	}
	// Each action is in the audit log.
	admin := one.MustAccount(t, "jefa", "Jefa", chat.RoleAdmin, 1)
	_, adminIn := signIn(t, ctx, one, "jefa", admin)
	audit := call(t, ctx, nil, "GET", one.URL+"/api/admin/audit", adminIn.Token, nil, nil)
	for _, action := range []string{"conversation.whisper", "conversation.join", "conversation.leave", "conversation.take_over"} {
		if !strings.Contains(string(audit.Body), `"action":"`+action+`"`) {
			t.Errorf("no %s in the audit log", action)
		}
	}
}

// waitForFrame is waitFor returning the frame.
func (r *recorder) waitForFrame(t *testing.T, what string, match func(chatclient.Frame) bool) chatclient.Frame {
	t.Helper()
	r.waitFor(t, what, match)
	for _, f := range r.all() {
		if match(f) {
			return f
		}
	}
	panic("unreachable")
}

// TestTakeOverKeepsNotesAndLetsTheSupervisorWork: what a take-over moves is
// the whole conversation, the handover notes of an earlier transfer too;
// the supervisor then types and writes as its counsellor, though their
// connection first only watched it. Both stores.
func TestTakeOverKeepsNotesAndLetsTheSupervisorWork(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := startSeeker(t, ctx, srv, "self", "es")
		id := s.started.ConversationID
		from, _ := signIn(t, ctx, srv, "origen", srv.MustCounselor(t, "origen", 2, servertest.Skills{}))
		to, toIn := signIn(t, ctx, srv, "destino", srv.MustCounselor(t, "destino", 2, servertest.Skills{}))
		accept(t, ctx, from, id)
		team := chatclient.Team{}
		if _, err := from.WaitFor(ctx, func(f chatclient.Frame) bool { return team.Apply(f) && len(team) == 2 }); err != nil {
			t.Fatalf("team never showed both: %v", err)
		}
		from.Send(ctx, map[string]any{"type": "transfer", "conversation_id": id, "to": toIn.Staff.ID, "note": "Prefiere frases cortas."})
		waitFrame(t, ctx, to, "the transfer", func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id })

		sam, samIn := signIn(t, ctx, srv, "sam", srv.MustAccount(t, "sam", "Sam", chat.RoleSupervisor, 2))
		sam.Send(ctx, map[string]any{"type": "watch", "conversation_id": id})
		waitFrame(t, ctx, sam, "the watch", func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id })
		if _, err := sam.Sync(ctx, id, 0); err != nil {
			t.Fatal(err)
		}
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/staff/conversations/"+id+"/take-over", samIn.Token, nil, nil); a.Status != 200 {
			t.Fatalf("take-over: %d %s", a.Status, a.Body)
		}
		waitFrame(t, ctx, to, "taken over", func(f chatclient.Frame) bool { return f.Type == "taken_over" })
		waitFrame(t, ctx, sam, "the conversation, now Sam's", func(f chatclient.Frame) bool {
			return f.Type == "conversation" && f.Conversation.ID == id && f.Conversation.CounselorID == samIn.Staff.ID
		})
		sam.Discard()
		if _, err := sam.Sync(ctx, id, 0); err != nil {
			t.Fatal(err)
		}
		notes := waitFrame(t, ctx, sam, "the notes", func(f chatclient.Frame) bool { return f.Type == "notes" })
		if len(notes.Notes) != 1 || notes.Notes[0].Body != "Prefiere frases cortas." {
			t.Fatalf("notes after the take-over: %s", notes.Raw)
		}
		// The watching connection now writes and types as the counsellor.
		sam.Send(ctx, map[string]any{"type": "typing", "conversation_id": id, "typing": true})
		waitFrame(t, ctx, s.Client, "Sam typing", func(f chatclient.Frame) bool { return f.Type == "typing" && f.Typing })
		send(t, ctx, sam, id, "s1", "Sigo yo contigo")
		waitFrame(t, ctx, s.Client, "Sam's message", func(f chatclient.Frame) bool { return f.Type == "message" && f.Body == "Sigo yo contigo" })
	})
}

// TestJoinEndsWithATransfer: a supervisor who joined (without watching)
// writes beside the counsellor; when the counsellor hands the conversation
// back to the queue, the join ends with it and the supervisor's socket
// hears nothing more of it, as a transferred-away counsellor's does not.
// Both stores.
func TestJoinEndsWithATransfer(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		ana, _ := signIn(t, ctx, srv, "ana", srv.MustAccount(t, "ana", "Ana", chat.RoleCounselor, 3))
		accept(t, ctx, ana, id)
		sam, samIn := signIn(t, ctx, srv, "sam", srv.MustAccount(t, "sam", "Sam", chat.RoleSupervisor, 3))
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/staff/conversations/"+id+"/join", samIn.Token, nil, nil); a.Status != 200 {
			t.Fatalf("join: %d %s", a.Status, a.Body)
		}
		waitFrame(t, ctx, sam, "the joined conversation", func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id })
		if _, err := sam.Sync(ctx, id, 0); err != nil {
			t.Fatal(err)
		}
		send(t, ctx, sam, id, "s1", "Estoy aquí también")
		waitFrame(t, ctx, s.Client, "the supervisor's message", func(f chatclient.Frame) bool { return f.Type == "message" && f.Body == "Estoy aquí también" })
		// A second colleague cannot join beside them.
		_, luIn := signIn(t, ctx, srv, "lu", srv.MustAccount(t, "lu", "Lu", chat.RoleAdmin, 1))
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/staff/conversations/"+id+"/join", luIn.Token, nil, nil); a.Status != 409 {
			t.Fatalf("a second join: %d %s, want 409", a.Status, a.Body)
		}

		ana.Send(ctx, map[string]any{"type": "transfer", "conversation_id": id, "skill": "any", "note": ""})
		waitFrame(t, ctx, sam, "the conversation leaving", func(f chatclient.Frame) bool {
			return f.Type == "conversation" && f.Conversation.ID == id && f.Conversation.Status == "waiting"
		})
		sam.Send(ctx, map[string]any{"type": "send", "conversation_id": id, "client_id": "s2", "body": "x"})
		if e := waitFrame(t, ctx, sam, "the refusal", func(f chatclient.Frame) bool { return f.Type == "error" || f.Type == "ack" }); e.Code != "not_found" {
			t.Fatalf("the supervisor wrote after the transfer ended the join: %s", e.Raw)
		}
		sam.Discard()
		send(t, ctx, s.Client, id, "k1", "¿sigue alguien?")
		for _, f := range collect(ctx, sam, 300*time.Millisecond) {
			if activityAbout(f, id) && !(f.Type == "message" && f.Kind == "requeued") && f.Type != "conversation" {
				t.Fatalf("the supervisor still hears the conversation: %s", f.Raw)
			}
		}
	})
}
