package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// The authorisation matrix: every HTTP endpoint and every WebSocket frame
// type, tried by every kind of caller, with the answer each must get. What a
// caller may not see must look exactly like something that does not exist.

type role string

const (
	roleNone       role = "none"
	roleOther      role = "seeker-of-another-conversation"
	roleOwn        role = "own-seeker"
	roleUnassigned role = "counselor-not-assigned"
	roleAssigned   role = "assigned-counselor"
	roleSupervisor role = "supervisor"
	roleAdmin      role = "admin"
	roleDisabled   role = "disabled-account-old-token"
	roleSignedOut  role = "signed-out-token"
)

var allRoles = []role{roleNone, roleOther, roleOwn, roleUnassigned, roleAssigned, roleSupervisor, roleAdmin, roleDisabled, roleSignedOut}

func (r role) isStaff() bool {
	switch r {
	case roleUnassigned, roleAssigned, roleSupervisor, roleAdmin, roleDisabled, roleSignedOut:
		return true
	}
	return false
}

// authenticates reports whether the role's credential opens a socket.
func (r role) authenticates() bool { return r != roleNone && r != roleDisabled && r != roleSignedOut }

// wireRole is the role the server reports in ready.
func (r role) wireRole() string {
	switch r {
	case roleOther, roleOwn:
		return "seeker"
	case roleSupervisor:
		return "supervisor"
	case roleAdmin:
		return "admin"
	}
	return "counselor"
}

// authzFixture is one server with a staff account per staff role, signed in.
type authzFixture struct {
	srv      *servertest.Server
	other    chatclient.Started // a waiting conversation B of another seeker
	token    map[role]string    // staff tokens
	id       map[role]int64
	username map[role]string
	password map[role]string
}

const nonexistentAccount = "987654321"

func newAuthzFixture(t *testing.T, ctx context.Context, srv *servertest.Server) *authzFixture {
	t.Helper()
	f := &authzFixture{srv: srv, token: map[role]string{}, id: map[role]int64{}, username: map[role]string{}, password: map[role]string{}}
	for _, a := range []struct {
		r        role
		user     string
		role     chat.Role
		capacity int
	}{
		{roleUnassigned, "una", chat.RoleCounselor, 5},
		{roleAssigned, "asig", chat.RoleCounselor, 200}, // takes one conversation per test case
		{roleSupervisor, "super", chat.RoleSupervisor, 5},
		{roleAdmin, "admi", chat.RoleAdmin, 5},
		{roleDisabled, "desac", chat.RoleCounselor, 5},
	} {
		f.username[a.r], f.password[a.r] = a.user, srv.MustAccount(t, a.user, "Nombre "+a.user, a.role, a.capacity)
		acc, err := srv.Staff.Account(ctx, a.user)
		if err != nil {
			t.Fatal(err)
		}
		f.id[a.r] = acc.ID
		if f.token[a.r], _, _, err = srv.Staff.Login(ctx, a.user, f.password[a.r], ""); err != nil {
			t.Fatal(err)
		}
	}
	// The signed-out token is a second sign-in of the unassigned counsellor,
	// signed out; the disabled one belongs to an account an admin disabled.
	var err error
	if f.token[roleSignedOut], _, _, err = srv.Staff.Login(ctx, f.username[roleUnassigned], f.password[roleUnassigned], ""); err != nil {
		t.Fatal(err)
	}
	if a := call(t, ctx, nil, "POST", srv.URL+"/api/staff/logout", f.token[roleSignedOut], map[string]any{}, nil); a.Status != 204 {
		t.Fatalf("sign-out: %d %s", a.Status, a.Body)
	}
	if a := call(t, ctx, nil, "POST", srv.URL+"/api/admin/accounts/"+f.idOf(roleDisabled)+"/disable", f.token[roleAdmin], nil, nil); a.Status != 204 {
		t.Fatalf("disabling an account: %d %s", a.Status, a.Body)
	}
	f.other = startConversation(t, ctx, srv)
	return f
}

func (f *authzFixture) idOf(r role) string { return strconv.FormatInt(f.id[r], 10) }

// scene is the conversation a test case is about (A, with its seeker "own")
// and another one (B, with its seeker "other"), fresh for each case.
type scene struct {
	own, other  chatclient.Started
	seekerWatch *chatclient.Client // a socket of A's seeker
	staffWatch  *chatclient.Client // a socket of A's counsellor (nil while waiting)
	status      string             // A's status once set up
	lastSeq     int64              // and its last sequence number
}

// newScene starts A in the given state ("waiting", "active" or "ended");
// B is the fixture's other conversation. A is left (quick exit) when the
// case ends, so that the queue does not grow with every case.
func (f *authzFixture) newScene(t *testing.T, ctx context.Context, state string) *scene {
	t.Helper()
	sc := &scene{own: startConversation(t, ctx, f.srv), other: f.other}
	id := sc.own.ConversationID
	t.Cleanup(func() {
		call(t, ctx, nil, "POST", f.srv.URL+"/api/seeker/leave", "", map[string]string{"token": sc.own.Token}, nil)
	})
	if state != "waiting" {
		sc.staffWatch = dialAs(t, ctx, f.srv, f.token[roleAssigned])
		accept(t, ctx, sc.staffWatch, id)
	}
	if state == "ended" {
		if err := sc.staffWatch.Send(ctx, map[string]any{"type": "end", "conversation_id": id}); err != nil {
			t.Fatal(err)
		}
		// Both the update and the stored "ended" event, which may come in either order.
		waitFrame(t, ctx, sc.staffWatch, "the end", func(fr chatclient.Frame) bool {
			return fr.Type == "conversation" && fr.Conversation.ID == id && fr.Conversation.Status == "ended"
		})
		waitFrame(t, ctx, sc.staffWatch, "the ended event", func(fr chatclient.Frame) bool {
			return fr.Type == "message" && fr.ConversationID == id && fr.Kind == "ended"
		})
	}
	sc.seekerWatch = dialAs(t, ctx, f.srv, sc.own.Token)
	msgs, err := sc.seekerWatch.Sync(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	sc.status, sc.lastSeq = sc.seekerWatch.Ready.Conversations[0].Status, int64(len(msgs))
	if sc.status != state || sc.seekerWatch.Ready.Conversations[0].LastSeq != sc.lastSeq {
		t.Fatalf("scene: A is %s with %d messages (%s), want %s", sc.status, len(msgs), sc.seekerWatch.Ready.Raw, state)
	}
	if sc.staffWatch != nil {
		sc.staffWatch.Discard()
	}
	return sc
}

// tokenOf is the credential a role presents in a scene ("" for none).
func (f *authzFixture) tokenOf(r role, sc *scene) string {
	switch r {
	case roleNone:
		return ""
	case roleOther:
		return sc.other.Token
	case roleOwn:
		return sc.own.Token
	}
	return f.token[r]
}

// watchers are the sockets that would hear about A, other than the actor's.
func (sc *scene) watchers() map[string]*chatclient.Client {
	w := map[string]*chatclient.Client{"A's seeker": sc.seekerWatch}
	if sc.staffWatch != nil {
		w["A's counsellor"] = sc.staffWatch
	}
	return w
}

// runConcurrently runs each case as a subtest, several at a time (t.Run
// from goroutines; the cases are independent).
func runConcurrently[T any](t *testing.T, cases []T, name func(T) string, run func(*testing.T, T)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 12)
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(name(c), func(t *testing.T) { run(t, c) })
		}()
	}
	wg.Wait()
}

// matrixCtx bounds a whole matrix (each wait inside has its own 5 s limit).
func matrixCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---- WebSocket frames ----

type wsOutcome string

const (
	wsOK         wsOutcome = "ok"
	wsNotFound   wsOutcome = "not_found"
	wsConflict   wsOutcome = "conflict"
	wsNoAuth     wsOutcome = "4401 after invalid"      // no credential: the first frame is refused
	wsBadToken   wsOutcome = "4401 after unauthorized" // credential refused
	wsReadyCheck wsOutcome = "ready"
)

type wsCase struct {
	frame      string
	role       role
	state      string // of A
	want       wsOutcome
	watchFirst bool // the actor first sends watch for A
}

func (c wsCase) String() string {
	name := fmt.Sprintf("%s/%s/%s", c.frame, c.role, c.state)
	if c.watchFirst {
		name = "watch+" + name
	}
	return name
}

// wsFrames are the client frame types of PROTOCOL.md §3.3.
var wsFrames = []string{"auth", "sync", "send", "typing", "end", "accept", "decline", "status", "transfer", "watch", "unwatch", "ping"}

// wsMatrix is the expected answer to every frame type from every role.
func wsMatrix() []wsCase {
	var cases []wsCase
	for _, frame := range wsFrames {
		for _, r := range allRoles {
			c := wsCase{frame: frame, role: r, state: "active"}
			staff := r.isStaff()
			switch {
			case r == roleNone:
				c.state, c.want = "waiting", wsNoAuth
			case !r.authenticates():
				c.state, c.want = "waiting", wsBadToken
			case frame == "auth":
				c.want = wsReadyCheck
			case frame == "ping":
				c.want = wsOK
			case frame == "accept":
				switch {
				case !staff:
					c.state, c.want = "waiting", wsNotFound
				case r == roleAssigned:
					c.want = wsConflict // it is already theirs
				default:
					c.state, c.want = "waiting", wsOK // in pick mode any staff member with room may take a waiting one
				}
			case frame == "decline":
				c.state, c.want = "waiting", wsNotFound // nothing was offered (pick mode), to anyone
			case frame == "status" && r == roleAdmin:
				c.want = wsConflict // admins are not on the team that takes conversations
			case frame == "status":
				c.want = map[bool]wsOutcome{true: wsOK, false: wsNotFound}[staff]
			case frame == "watch":
				c.want = map[bool]wsOutcome{true: wsOK, false: wsNotFound}[r == roleSupervisor || r == roleAdmin]
			case frame == "unwatch":
				c.want = wsNotFound // nobody watches A yet (the watchFirst cases below do)
			case r == roleOwn && frame == "transfer":
				c.want = wsNotFound // only the counsellor hands a conversation on
			case r == roleOwn || r == roleAssigned:
				c.want = wsOK
			default:
				c.want = wsNotFound
			}
			cases = append(cases, c)
		}
	}
	return append(cases,
		// Accepting someone else's conversation is a conflict (it was in the
		// queue every staff member sees), not a way in.
		wsCase{frame: "accept", role: roleUnassigned, state: "active", want: wsConflict},
		wsCase{frame: "accept", role: roleSupervisor, state: "active", want: wsConflict},
		// A waiting conversation is in the queue, but its content belongs to
		// no counsellor yet.
		wsCase{frame: "sync", role: roleUnassigned, state: "waiting", want: wsNotFound},
		wsCase{frame: "send", role: roleUnassigned, state: "waiting", want: wsNotFound},
		wsCase{frame: "typing", role: roleUnassigned, state: "waiting", want: wsNotFound},
		wsCase{frame: "end", role: roleUnassigned, state: "waiting", want: wsNotFound},
		wsCase{frame: "sync", role: roleSupervisor, state: "waiting", want: wsNotFound},
		wsCase{frame: "sync", role: roleAdmin, state: "waiting", want: wsNotFound},
		wsCase{frame: "watch", role: roleUnassigned, state: "waiting", want: wsNotFound},
		wsCase{frame: "watch", role: roleSupervisor, state: "waiting", want: wsOK},
		// The seeker may write while waiting, and read after the end.
		wsCase{frame: "send", role: roleOwn, state: "waiting", want: wsOK},
		wsCase{frame: "sync", role: roleOwn, state: "ended", want: wsOK},
		wsCase{frame: "send", role: roleOwn, state: "ended", want: wsConflict},
		wsCase{frame: "sync", role: roleUnassigned, state: "ended", want: wsNotFound},
		wsCase{frame: "sync", role: roleOther, state: "ended", want: wsNotFound},
		wsCase{frame: "watch", role: roleAdmin, state: "ended", want: wsOK},
		// Watching is reading, silently: a watcher reads the history and
		// cannot write, signal typing, end or hand the conversation on.
		wsCase{frame: "sync", role: roleSupervisor, state: "active", want: wsOK, watchFirst: true},
		wsCase{frame: "sync", role: roleAdmin, state: "active", want: wsOK, watchFirst: true},
		wsCase{frame: "send", role: roleSupervisor, state: "active", want: wsNotFound, watchFirst: true},
		wsCase{frame: "send", role: roleAdmin, state: "active", want: wsNotFound, watchFirst: true},
		wsCase{frame: "typing", role: roleSupervisor, state: "active", want: wsNotFound, watchFirst: true},
		wsCase{frame: "end", role: roleSupervisor, state: "active", want: wsNotFound, watchFirst: true},
		wsCase{frame: "end", role: roleAdmin, state: "active", want: wsNotFound, watchFirst: true},
		wsCase{frame: "transfer", role: roleSupervisor, state: "active", want: wsNotFound, watchFirst: true},
		// A watch ends when the watcher says so (the counsellor stops being
		// shown it); neither side hears anything else.
		wsCase{frame: "unwatch", role: roleSupervisor, state: "active", want: wsOK, watchFirst: true},
		wsCase{frame: "unwatch", role: roleAdmin, state: "active", want: wsOK, watchFirst: true},
	)
}

func framePayload(frame, conversationID, clientID string) map[string]any {
	switch frame {
	case "sync":
		return map[string]any{"type": "sync", "conversation_id": conversationID, "after_seq": 0}
	case "send":
		return map[string]any{"type": "send", "conversation_id": conversationID, "client_id": clientID, "body": "matrix " + clientID}
	case "typing":
		return map[string]any{"type": "typing", "conversation_id": conversationID, "typing": true}
	case "end":
		return map[string]any{"type": "end", "conversation_id": conversationID}
	case "accept", "decline", "watch", "unwatch":
		return map[string]any{"type": frame, "conversation_id": conversationID}
	case "status":
		return map[string]any{"type": "status", "status": "available"}
	case "transfer":
		return map[string]any{"type": "transfer", "conversation_id": conversationID, "skill": "any", "note": "nota de traspaso " + clientID}
	case "ping":
		return map[string]any{"type": "ping"}
	}
	panic("unknown frame " + frame)
}

// hasConversation reports whether a frame type names a conversation.
func hasConversation(frame string) bool {
	return frame != "ping" && frame != "status" && frame != "auth"
}

func TestAuthorizationMatrixWebSocket(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := matrixCtx(t)
		f := newAuthzFixture(t, ctx, srv)
		runConcurrently(t, wsMatrix(), wsCase.String, func(t *testing.T, c wsCase) { f.runWSCase(t, ctx, c) })
	})
}

func (f *authzFixture) runWSCase(t *testing.T, ctx context.Context, c wsCase) {
	sc := f.newScene(t, ctx, c.state)
	id := sc.own.ConversationID
	beforeStatus, beforeSeq := sc.status, sc.lastSeq
	token := f.tokenOf(c.role, sc)
	// Anything done to A would reach its seeker's and counsellor's sockets
	// (a message, a state change, a typing signal): nothing may.
	unchanged := func() {
		t.Helper()
		expectQuiet(t, ctx, 300*time.Millisecond, id, sc.watchers())
	}

	if c.want == wsNoAuth || c.want == wsBadToken {
		ws := dialRaw(t, ctx, f.srv)
		if token != "" || c.frame == "auth" {
			ws.Send(ctx, map[string]any{"type": "auth", "token": token})
		}
		if c.frame != "auth" {
			ws.Send(ctx, framePayload(c.frame, id, "x1")) // may fail: the server may have closed already
		}
		code, frames := waitClose(ctx, ws)
		if code != chat.StatusBadToken {
			t.Fatalf("closed with %v, want 4401 (frames %v)", code, raws(frames))
		}
		wantCode := "invalid"
		if c.want == wsBadToken {
			wantCode = "unauthorized"
		}
		if len(frames) != 1 || frames[0].Type != "error" || frames[0].Code != wantCode {
			t.Fatalf("before closing the server sent %v, want one %s error", raws(frames), wantCode)
		}
		unchanged()
		return
	}

	actor := dialAs(t, ctx, f.srv, token)
	checkReady(t, c.role, c.state, actor.Ready, sc)
	clientID := "m-" + strings.NewReplacer("/", "-", "+", "-").Replace(c.String())
	if c.watchFirst {
		if err := actor.Send(ctx, framePayload("watch", id, "")); err != nil {
			t.Fatal(err)
		}
		if w := waitFrame(t, ctx, actor, "the watched conversation", func(fr chatclient.Frame) bool {
			return isError(fr) || fr.Type == "conversation" && fr.Conversation.ID == id
		}); w.Type != "conversation" {
			t.Fatalf("watch: %s", w.Raw)
		}
	}
	switch c.want {
	case wsReadyCheck:
		// A second auth on an open socket is refused; the socket stays open.
		actor.Send(ctx, map[string]any{"type": "auth", "token": token})
		if e := waitFrame(t, ctx, actor, "an error", isError); e.Code != "invalid" {
			t.Fatalf("second auth: %s", e.Raw)
		}
		ping(t, ctx, actor)
		return
	case wsNotFound, wsConflict:
		if err := actor.Send(ctx, framePayload(c.frame, id, clientID)); err != nil {
			t.Fatal(err)
		}
		e := waitFrame(t, ctx, actor, "an error", func(fr chatclient.Frame) bool {
			// (status frames go to every socket of a staff member, so only a
			// status case may take one for its answer)
			return isError(fr) || fr.Type == "ack" || fr.Type == "synced" || fr.Type == "status" && c.frame == "status" ||
				fr.Type == "message" && fr.ConversationID == id || fr.Type == "conversation" && fr.Conversation.ID == id
		})
		wantRef := e.Ref == id || e.Ref == clientID || !hasConversation(c.frame) && e.Ref == ""
		if e.Type != "error" || e.Code != string(c.want) || !wantRef {
			t.Fatalf("got %s, want a %s error about %s", e.Raw, c.want, id)
		}
		if c.want == wsNotFound && hasConversation(c.frame) {
			// Exactly what a conversation that does not exist gets.
			ghost := chat.NewID()
			if err := actor.Send(ctx, framePayload(c.frame, ghost, clientID+"-g")); err != nil {
				t.Fatal(err)
			}
			g := waitFrame(t, ctx, actor, "an error", isError)
			if g.Code != e.Code || g.Message != e.Message || refKind(g.Ref, ghost, clientID+"-g") != refKind(e.Ref, id, clientID) {
				t.Fatalf("refusal differs from a non-existent conversation's:\n  %s\n  %s", e.Raw, g.Raw)
			}
		}
		unchanged()
		return
	}

	// wsOK: the action works and reaches the other side.
	other, actorSender := sc.staffWatch, "seeker"
	if c.role != roleOwn {
		other, actorSender = sc.seekerWatch, "counselor"
	}
	if err := actor.Send(ctx, framePayload(c.frame, id, clientID)); err != nil {
		t.Fatal(err)
	}
	switch c.frame {
	case "ping":
		if fr := waitFrame(t, ctx, actor, "pong", func(fr chatclient.Frame) bool { return fr.Type == "pong" || isError(fr) }); fr.Type != "pong" {
			t.Fatalf("ping: %s", fr.Raw)
		}
	case "sync":
		var n int64
		for {
			fr := waitFrame(t, ctx, actor, "history", func(fr chatclient.Frame) bool {
				return isError(fr) || fr.ConversationID == id && (fr.Type == "message" || fr.Type == "synced")
			})
			if fr.Type == "message" {
				n++
				if fr.Seq != n {
					t.Fatalf("history message %d has seq %d", n, fr.Seq)
				}
				continue
			}
			if fr.Type != "synced" || fr.LastSeq != beforeSeq || n != beforeSeq {
				t.Fatalf("got %s after %d messages, want synced at %d", fr.Raw, n, beforeSeq)
			}
			break
		}
	case "send":
		ack := waitFrame(t, ctx, actor, "ack", func(fr chatclient.Frame) bool { return fr.Type == "ack" || isError(fr) })
		if ack.Type != "ack" || ack.ClientID != clientID || ack.Seq != beforeSeq+1 {
			t.Fatalf("send: %s", ack.Raw)
		}
		if other != nil {
			m := waitFrame(t, ctx, other, "the message", func(fr chatclient.Frame) bool { return fr.Type == "message" && fr.ConversationID == id })
			if m.Body != "matrix "+clientID || m.Seq != ack.Seq {
				t.Fatalf("the other side got %s", m.Raw)
			}
		}
	case "typing":
		tf := waitFrame(t, ctx, other, "typing", func(fr chatclient.Frame) bool { return fr.Type == "typing" && fr.ConversationID == id })
		if !tf.Typing || tf.Sender != actorSender {
			t.Fatalf("the other side got %s", tf.Raw)
		}
		ping(t, ctx, actor) // and the actor got no error
	case "end":
		m := waitFrame(t, ctx, other, "the end", func(fr chatclient.Frame) bool {
			return fr.Type == "message" && fr.ConversationID == id && fr.Kind == "ended"
		})
		if m.Body != actorSender {
			t.Fatalf("ended by %q, want %q", m.Body, actorSender)
		}
		if st, _ := conversationState(t, ctx, f.srv, sc.own.Token); st != "ended" {
			t.Fatalf("status %s after end", st)
		}
	case "status":
		st := waitFrame(t, ctx, actor, "the new status", func(fr chatclient.Frame) bool { return fr.Type == "status" || isError(fr) })
		if st.Type != "status" || !strings.Contains(string(st.Raw), `"status":"available"`) {
			t.Fatalf("status: %s", st.Raw)
		}
	case "watch":
		w := waitFrame(t, ctx, actor, "the watched conversation", func(fr chatclient.Frame) bool {
			return isError(fr) || fr.Type == "conversation" && fr.Conversation.ID == id
		})
		if w.Type != "conversation" || w.Conversation.Status != beforeStatus || w.Conversation.LastSeq != beforeSeq {
			t.Fatalf("watch: %s", w.Raw)
		}
		// Then it can read the history; neither side notices anything.
		msgs, err := actor.Sync(ctx, id, 0)
		if err != nil || int64(len(msgs)) != beforeSeq {
			t.Fatalf("a watcher's sync: %d messages, %v; want %d", len(msgs), err, beforeSeq)
		}
		unchanged()
	case "unwatch":
		ping(t, ctx, actor) // no error; and from now on nothing of A reaches the actor
		actor.Discard()
		send(t, ctx, sc.seekerWatch, id, "after-unwatch", "¿hay alguien?")
		expectQuiet(t, ctx, 300*time.Millisecond, id, map[string]*chatclient.Client{"the former watcher": actor})
		return
	case "transfer":
		m := waitFrame(t, ctx, sc.seekerWatch, "the hand-over", func(fr chatclient.Frame) bool { return fr.Type == "message" && fr.ConversationID == id })
		if m.Kind != "requeued" || m.Body != "transferred" {
			t.Fatalf("the seeker got %s", m.Raw)
		}
		if st, _ := conversationState(t, ctx, f.srv, sc.own.Token); st != "waiting" {
			t.Fatalf("status %s after a transfer to the queue", st)
		}
	case "accept":
		fr := waitFrame(t, ctx, actor, "the assignment", func(fr chatclient.Frame) bool {
			return isError(fr) || fr.Type == "conversation" && fr.Conversation.ID == id
		})
		if fr.Type != "conversation" || fr.Conversation.Status != "active" {
			t.Fatalf("accept: %s", fr.Raw)
		}
		j := waitFrame(t, ctx, sc.seekerWatch, "the join", func(fr chatclient.Frame) bool { return fr.Type == "message" && fr.ConversationID == id })
		if j.Kind != "joined" {
			t.Fatalf("the seeker got %s", j.Raw)
		}
	}
}

// checkReady checks what a role is told on opening a socket: its role, and
// only the conversations that are its own.
func checkReady(t *testing.T, r role, state string, ready chatclient.Frame, sc *scene) {
	t.Helper()
	if ready.Role != r.wireRole() {
		t.Fatalf("ready role %q, want %q", ready.Role, r.wireRole())
	}
	var ids []string
	for _, c := range ready.Conversations {
		ids = append(ids, c.ID)
	}
	a, b := sc.own.ConversationID, sc.other.ConversationID
	switch r {
	case roleOwn:
		if len(ids) != 1 || ids[0] != a {
			t.Fatalf("own seeker's ready lists %v, want only %s", ids, a)
		}
	case roleOther:
		if len(ids) != 1 || ids[0] != b {
			t.Fatalf("other seeker's ready lists %v, want only %s", ids, b)
		}
	case roleAssigned:
		if slices.Contains(ids, b) || (state == "active") != slices.Contains(ids, a) {
			t.Fatalf("assigned counsellor's ready lists %v (A %s is %s, B %s waiting)", ids, a, state, b)
		}
	default:
		if slices.Contains(ids, a) || slices.Contains(ids, b) {
			t.Fatalf("%s's ready lists %v, including conversations that are not theirs", r, ids)
		}
	}
	if (ready.Staff != nil) != r.isStaff() {
		t.Fatalf("ready staff object = %v for %s", ready.Staff, r)
	}
}

func isError(f chatclient.Frame) bool { return f.Type == "error" }

// refKind says what an error's ref echoed: the conversation, the client id, or nothing.
func refKind(ref, conversationID, clientID string) string {
	switch ref {
	case conversationID:
		return "conversation"
	case clientID:
		return "client_id"
	case "":
		return ""
	}
	return "other:" + ref
}

func ping(t *testing.T, ctx context.Context, c *chatclient.Client) {
	t.Helper()
	if err := c.Send(ctx, map[string]any{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	f := waitFrame(t, ctx, c, "pong", func(f chatclient.Frame) bool { return f.Type == "pong" || isError(f) })
	if f.Type != "pong" {
		t.Fatalf("got %s before the pong", f.Raw)
	}
}

func raws(frames []chatclient.Frame) []string {
	var out []string
	for _, f := range frames {
		out = append(out, string(f.Raw))
	}
	return out
}

// ---- HTTP endpoints ----

type httpCase struct {
	endpoint string
	role     role
	phase    int // 1; 2 for the admin re-enabling; 3 for signing out
}

func (c httpCase) String() string { return c.endpoint + "/" + string(c.role) }

// httpEndpoints lists every endpoint and its phase. The counsellor's tools
// (prepared answers, case notes, wrap-ups) have their rows in
// authz_tools_test.go (toolEndpoints), on this file's fixture and roles.
// httpEndpoints lists every endpoint and its phase; supervision's, which act
// on a conversation of their own per case, are in authz_supervision_test.go.
var httpEndpoints = []struct {
	name  string
	phase int
}{
	{"POST /api/seeker/conversations", 1},
	{"POST /api/seeker/leave", 1},
	{"POST /api/seeker/delete", 1},
	{"POST /api/seeker/pause", 1},
	{"POST /api/staff/login", 1},
	{"GET /api/admin/accounts", 1},
	{"POST /api/admin/accounts", 1},
	{"PATCH /api/admin/accounts/{id}", 1},
	{"POST /api/admin/accounts/{id}/disable", 1},
	{"POST /api/admin/accounts/{id}/enable", 1},
	{"GET /api/admin/audit", 1},
	{"GET /api/config", 1},
	{"GET /api/status", 1},
	{"GET /api/selfhelp/es", 1},
	{"GET /api/seeker/identifying-rules", 1},
	{"GET /i18n/es.json", 1},
	{riskFlagsEndpoint, 1},
	{"GET /supervisor", 1},
	{"GET /api/supervisor/summary", 1},
	{"GET /api/supervisor/team", 1},
	{"GET /api/supervisor/conversations", 1},
	{"GET /api/supervisor/history", 1},
	{"GET /api/switchboard", 1},
	{"POST /api/switchboard/pause", 1},
	{"POST /api/switchboard/resume", 1},
	{"POST /api/staff/logout", 3},
}

func init() {
	for _, e := range escalationEndpoints {
		httpEndpoints = append(httpEndpoints, struct {
			name  string
			phase int
		}{e, 1})
	}
	httpEndpoints = append(httpEndpoints, reportEndpoints...)
}

// wantStatus is the matrix: the status each role gets from each endpoint.
func wantStatus(endpoint string, r role) int {
	if want, ok := reportWantStatus(endpoint, r); ok {
		return want
	}
	if isEscalationEndpoint(endpoint) {
		return escalationWant(endpoint, r)
	}
	switch endpoint {
	case "POST /api/seeker/conversations":
		return 201 // anyone; a credential neither helps nor hinders
	case "GET /api/config", "GET /api/status", "GET /api/selfhelp/es", "GET /i18n/es.json", "GET /api/seeker/identifying-rules", "GET /supervisor":
		return 200 // public; a credential changes nothing (the supervisor page signs in itself)
	case "GET /api/switchboard":
		// Every console shows the banner; nobody else may read it.
		if r.isStaff() && r.authenticates() {
			return 200
		}
		return 401
	case "POST /api/staff/login":
		if r == roleAdmin {
			return 200 // with the right password
		}
		return 401 // the disabled account with its right password too
	case "POST /api/seeker/leave", "POST /api/seeker/delete":
		if r == roleOwn || r == roleOther {
			return 204 // each for their own conversation only
		}
		return 401
	case "POST /api/seeker/pause":
		if r == roleOwn || r == roleOther {
			return 409 // a seeker's own conversation, not ended as blocked
		}
		return 401
	case "POST /api/staff/logout":
		if r.isStaff() && r.authenticates() {
			return 204
		}
		return 401
	case riskFlagsEndpoint:
		return riskFlagsStatus(r)
	}
	// Admin endpoints: unauthenticated 401; staff without the role 404, as
	// if the endpoint did not exist.
	switch {
	case !r.isStaff() || !r.authenticates():
		return 401
	case strings.Contains(endpoint, "/api/supervisor/") || strings.Contains(endpoint, "/api/switchboard/"):
		// The supervisor page's data and the switchboard: supervisors and admins.
		if r != roleSupervisor && r != roleAdmin {
			return 404
		}
		return map[bool]int{true: 204, false: 200}[endpoint == "POST /api/switchboard/resume"]
	case r != roleAdmin:
		return 404
	case endpoint == "POST /api/admin/accounts":
		return 201
	case strings.HasSuffix(endpoint, "/disable"), strings.HasSuffix(endpoint, "/enable"):
		return 204
	}
	return 200
}

func TestAuthorizationMatrixHTTP(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := matrixCtx(t)
		f := newAuthzFixture(t, ctx, srv)
		shared := &scene{own: startConversation(t, ctx, srv), other: f.other}
		phases := map[int][]httpCase{}
		for _, ep := range httpEndpoints {
			for _, r := range allRoles {
				c := httpCase{ep.name, r, ep.phase}
				// The admin re-enables the disabled account after phase 1, so
				// that it stays disabled throughout; signing out comes last.
				if ep.name == "POST /api/admin/accounts/{id}/enable" && r == roleAdmin {
					c.phase = 2
				}
				phases[c.phase] = append(phases[c.phase], c)
			}
		}
		run := func(phase int) {
			t.Run(fmt.Sprint("phase", phase), func(t *testing.T) {
				runConcurrently(t, phases[phase], httpCase.String, func(t *testing.T, c httpCase) { f.runHTTPCase(t, ctx, c, shared) })
			})
		}
		run(1)
		// Nobody but the admin changed an account.
		accounts, err := srv.Staff.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accounts {
			switch {
			case a.ID == f.id[roleUnassigned] && !a.DisabledAt.IsZero():
				t.Errorf("a non-admin disabled account %s", a.Username)
			case a.ID == f.id[roleDisabled] && a.DisabledAt.IsZero():
				t.Errorf("a non-admin re-enabled account %s", a.Username)
			case strings.HasPrefix(a.Username, "new-") && a.Username != "new-"+string(roleAdmin):
				t.Errorf("a non-admin created account %s", a.Username)
			}
		}
		run(2)
		run(3)
	})
}

func (f *authzFixture) runHTTPCase(t *testing.T, ctx context.Context, c httpCase, shared *scene) {
	if isEscalationEndpoint(c.endpoint) {
		f.runEscalationCase(t, ctx, c)
		return
	}
	srv := f.srv
	sc := shared // seekers' credentials, for the endpoints that change no conversation
	if strings.HasPrefix(c.endpoint, "POST /api/seeker/") {
		sc = &scene{own: startConversation(t, ctx, srv), other: startConversation(t, ctx, srv)}
	}
	token := f.tokenOf(c.role, sc)
	method, path, _ := strings.Cut(c.endpoint, " ")
	target := f.idOf(roleUnassigned) // what non-admins try to disable
	if strings.HasSuffix(path, "/enable") {
		target = f.idOf(roleDisabled) // and to re-enable
	}
	if c.role == roleAdmin && (strings.HasSuffix(path, "/disable") || isAccountSecret(path)) {
		target = f.idOf(roleDisabled) // the admin's disable is harmless to the other cases
	}
	if c.endpoint == riskFlagsEndpoint {
		// A's flags, A active with the assigned counsellor.
		sc = f.newScene(t, ctx, "active")
		target = sc.own.ConversationID
	}
	url := srv.URL + strings.Replace(path, "{id}", target, 1)

	var body any
	switch path {
	case "/api/seeker/conversations":
		body = map[string]any{"audience": "other", "language": "en"}
	case "/api/seeker/leave", "/api/seeker/delete", "/api/seeker/pause":
		body = map[string]any{"token": token}
	case "/api/staff/login":
		body = map[string]any{"username": "nobody-" + string(c.role), "password": ""}
		if c.role == roleAdmin || c.role == roleDisabled {
			body = map[string]any{"username": f.username[c.role], "password": f.password[c.role]}
		}
	case "/api/seeker/feedback", "/api/admin/accounts/{id}/password":
		body = reportBody(path, token)
	case "/seeker/feedback":
		body = reportBody(path, token)
		bearer := "" // the form carries the credential in a field
		a := call(t, ctx, nil, method, url, bearer, body, formHeader)
		if want := wantStatus(c.endpoint, c.role); a.Status != want {
			t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
		}
		return
	case "/api/admin/accounts":
		if method == "POST" {
			body = map[string]any{"username": "new-" + string(c.role), "role": "counselor", "password": "correct horse battery staple"}
		}
	case "/api/switchboard/pause", "/api/switchboard/resume":
		body = map[string]any{"audience": "other", "language": ""} // pick mode: no offers to stop
	default:
		switch method {
		case "POST":
			body = map[string]any{}
		case "PATCH":
			body = map[string]any{"max_capacity": 5} // the maximum it already has
		}
	}
	bearer := token
	if strings.HasPrefix(path, "/api/seeker/leave") || strings.HasPrefix(path, "/api/seeker/delete") || path == "/api/seeker/pause" || path == "/api/seeker/feedback" {
		bearer = "" // the beacon endpoints (and the pause and feedback, like them) take the credential in the body
	}
	url += reportQuery(path)

	a := call(t, ctx, nil, method, url, bearer, body, nil)
	want := wantStatus(c.endpoint, c.role)
	if a.Status != want {
		t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
	}
	if want >= 400 {
		wantCode := map[int]string{401: "unauthorized", 404: "not_found", 409: "conflict"}[want]
		if a.Code != wantCode || a.Message == "" {
			t.Fatalf("error %q %q, want %s", a.Code, a.Message, wantCode)
		}
	}
	// A public answer is the same whoever asks.
	if method == "GET" && want == 200 && !strings.HasPrefix(path, "/api/admin/") && !strings.HasPrefix(path, "/api/staff/") && !strings.HasPrefix(path, "/api/supervisor/") && path != "/api/switchboard" {
		if anon := call(t, ctx, nil, method, url, "", nil, nil); string(anon.Body) != string(a.Body) {
			t.Fatalf("the answer depends on the credential:\n  %s\n  %s", a.Body, anon.Body)
		}
	}
	// A staff member without the role gets exactly what a missing account gets.
	if want == 404 {
		ghost := call(t, ctx, nil, "POST", srv.URL+"/api/admin/accounts/"+nonexistentAccount+"/disable", bearer, map[string]any{}, nil)
		if c.endpoint == riskFlagsEndpoint { // a conversation not theirs looks like none at all
			ghost = call(t, ctx, nil, "GET", srv.URL+strings.Replace(path, "{id}", chat.NewID(), 1), bearer, nil, nil)
		}
		if ghost.Status != a.Status || string(ghost.Body) != string(a.Body) || ghost.Header.Get("Content-Type") != a.Header.Get("Content-Type") {
			t.Fatalf("refusal differs from a missing account's:\n  %d %s\n  %d %s", a.Status, a.Body, ghost.Status, ghost.Body)
		}
	}

	// What happened, and what did not.
	switch path {
	case "/api/seeker/leave", "/api/seeker/delete":
		ownGone := path == "/api/seeker/delete" && c.role == roleOwn
		if ownGone {
			if _, err := chatclient.Dial(ctx, srv.URL, sc.own.Token); err == nil {
				t.Fatal("a deleted conversation still opens")
			}
		} else {
			st, _ := conversationState(t, ctx, srv, sc.own.Token)
			if wantSt := map[bool]string{true: "ended", false: "waiting"}[c.role == roleOwn]; st != wantSt {
				t.Fatalf("conversation A is %s, want %s", st, wantSt)
			}
		}
		if c.role == roleOther && path == "/api/seeker/leave" {
			if st, _ := conversationState(t, ctx, srv, sc.other.Token); st != "ended" {
				t.Fatalf("the other seeker's own conversation is %s after leaving", st)
			}
		}
	case "/api/admin/accounts":
		if method == "POST" {
			_, err := srv.Staff.Account(ctx, "new-"+string(c.role))
			if exists := err == nil; exists != (c.role == roleAdmin) {
				t.Fatalf("account new-%s exists: %v", c.role, exists)
			}
		} else if c.role == roleAdmin {
			if strings.Contains(string(a.Body), "argon2") || strings.Contains(strings.ToLower(string(a.Body)), "password") {
				t.Fatalf("the account list shows password hashes: %.300s", a.Body)
			}
			if !strings.Contains(string(a.Body), `"username":"una"`) {
				t.Fatalf("the account list lacks the accounts: %.300s", a.Body)
			}
		}
	case "/api/staff/logout":
		if want == 204 {
			// The token is dead for HTTP and for sockets.
			if b := call(t, ctx, nil, "POST", srv.URL+"/api/staff/logout", token, map[string]any{}, nil); b.Status != 401 {
				t.Fatalf("signed-out token signed out again: %d", b.Status)
			}
			if _, err := chatclient.Dial(ctx, srv.URL, token); chatclient.CloseStatus(err) != chat.StatusBadToken {
				t.Fatalf("signed-out token opens a socket: %v", err)
			}
		}
	case "/api/admin/accounts/{id}/enable":
		if c.role == roleAdmin {
			// Enabling an account again does not bring its old sign-ins back.
			if _, err := chatclient.Dial(ctx, srv.URL, f.token[roleDisabled]); chatclient.CloseStatus(err) != chat.StatusBadToken {
				t.Fatalf("a re-enabled account's old token opens a socket: %v", err)
			}
			if b := call(t, ctx, nil, "GET", srv.URL+"/api/admin/accounts", f.token[roleDisabled], nil, nil); b.Status != 401 {
				t.Fatalf("a re-enabled account's old token: %d", b.Status)
			}
		}
	}
}

// TestDisablingAnAccountClosesItsSockets: an admin disabling an account
// through the API closes every socket of it at once with 4403, and nothing
// of the account works any more.
func TestDisablingAnAccountClosesItsSockets(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		adminPassword := srv.MustAccount(t, "jefa", "Jefa", chat.RoleAdmin, 1)
		admin, _, _, err := srv.Staff.Login(ctx, "jefa", adminPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		s := mustSeeker(t, ctx, srv)
		c, token := mustCounselor(t, ctx, srv, "saliente", 2)
		accept(t, ctx, c, s.started.ConversationID)
		second := dialAs(t, ctx, srv, token) // a second tab
		acc, err := srv.Staff.Account(ctx, "saliente")
		if err != nil {
			t.Fatal(err)
		}
		// An admin's other sockets are unaffected.
		adminSocket := dialAs(t, ctx, srv, admin)

		if a := call(t, ctx, nil, "POST", fmt.Sprintf("%s/api/admin/accounts/%d/disable", srv.URL, acc.ID), admin, map[string]any{}, nil); a.Status != 204 {
			t.Fatalf("disable: %d %s", a.Status, a.Body)
		}
		for name, sock := range map[string]*chatclient.Client{"first": c, "second": second} {
			if code, _ := waitClose(ctx, sock); code != chat.StatusRevoked {
				t.Errorf("%s socket of the disabled account: close %v, want 4403", name, code)
			}
		}
		if _, err := chatclient.Dial(ctx, srv.URL, token); chatclient.CloseStatus(err) != chat.StatusBadToken {
			t.Errorf("the disabled account's token opens a socket: %v", err)
		}
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/staff/logout", token, map[string]any{}, nil); a.Status != 401 {
			t.Errorf("the disabled account's token on HTTP: %d", a.Status)
		}
		if _, err := chatclient.Login(ctx, srv.URL, "saliente", "correct horse battery saliente"); err == nil {
			t.Error("a disabled account signed in")
		} else if se, ok := err.(*chatclient.StatusError); !ok || se.Status != 401 || !strings.Contains(se.Body, "wrong username or password") {
			t.Errorf("a disabled account signing in: %v (want the generic 401)", err)
		}
		ping(t, ctx, adminSocket)
		// The seeker's side keeps working: they can still write (their
		// conversation is not lost with the counsellor).
		send(t, ctx, s.Client, s.started.ConversationID, "after-disable", "¿sigues ahí?")
	})
}

// TestDeletedConversationCredentialIsRefused: after "delete this
// conversation", the seeker's credential proves nothing any more. A socket
// opened with it must be refused as a dead credential (4401, "do not
// reconnect"), not asked to reconnect (4000), which would keep a browser
// retrying forever.
func TestDeletedConversationCredentialIsRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		send(t, ctx, s.Client, s.started.ConversationID, "d1", "borra esto")
		if a := call(t, ctx, nil, "POST", srv.URL+"/api/seeker/delete", "", map[string]string{"token": s.started.Token}, nil); a.Status != 204 {
			t.Fatalf("delete: %d %s", a.Status, a.Body)
		}
		_, err := chatclient.Dial(ctx, srv.URL, s.started.Token)
		if code := chatclient.CloseStatus(err); code != chat.StatusBadToken {
			t.Fatalf("a deleted conversation's credential: close %v (%v), want 4401", code, err)
		}
		// Deleting again or leaving is harmless and reveals nothing.
		for _, path := range []string{"/api/seeker/delete", "/api/seeker/leave"} {
			if a := call(t, ctx, nil, "POST", srv.URL+path, "", map[string]string{"token": s.started.Token}, nil); a.Status >= 500 {
				t.Errorf("%s after delete: %d %s", path, a.Status, a.Body)
			}
		}
	})
}
