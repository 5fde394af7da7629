package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
)

// The authorisation matrix, extended to supervision's endpoints
// (web/supervision.go) and the frames they push: every role tries each on
// an active conversation A, with the answer each must get, and what A's
// seeker and counsellor hear (the seeker never a whisper, a watchers list
// or a taken_over; nobody anything when the action is refused).

var supervisionEndpoints = []string{
	"GET /api/staff/conversations/{id}/supervision",
	"POST /api/staff/conversations/{id}/whispers",
	"POST /api/staff/conversations/{id}/join",
	"POST /api/staff/conversations/{id}/leave",
	"POST /api/staff/conversations/{id}/take-over",
}

func wantSupervisionStatus(endpoint string, r role) int {
	switch {
	case !r.isStaff() || !r.authenticates():
		return 401 // a seeker's credential is no staff sign-in
	case r == roleSupervisor || r == roleAdmin:
		if strings.HasSuffix(endpoint, "/whispers") {
			return 201
		}
		return 200
	case r == roleAssigned && strings.HasPrefix(endpoint, "GET "):
		return 200 // the counsellor reads who watches and the whispers to them
	}
	return 404 // a counsellor may not supervise, nor read another's conversation
}

type supervisionCase struct {
	endpoint string
	role     role
}

func (c supervisionCase) String() string { return c.endpoint + "/" + string(c.role) }

func TestAuthorizationMatrixSupervision(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := matrixCtx(t)
		f := newAuthzFixture(t, ctx, srv)
		var cases []supervisionCase
		for _, ep := range supervisionEndpoints {
			for _, r := range allRoles {
				cases = append(cases, supervisionCase{ep, r})
			}
		}
		runConcurrently(t, cases, supervisionCase.String, func(t *testing.T, c supervisionCase) { f.runSupervisionCase(t, ctx, c) })
	})
}

func (f *authzFixture) runSupervisionCase(t *testing.T, ctx context.Context, c supervisionCase) {
	sc := f.newScene(t, ctx, "active")
	id := sc.own.ConversationID
	method, path, _ := strings.Cut(c.endpoint, " ")
	var body any
	if method == "POST" {
		body = map[string]any{}
		if strings.HasSuffix(path, "/whispers") {
			body = map[string]any{"client_id": "w-" + string(c.role), "body": "susurro " + string(c.role)}
		}
	}
	token := f.tokenOf(c.role, sc)
	a := call(t, ctx, nil, method, f.srv.URL+strings.Replace(path, "{id}", id, 1), token, body, nil)
	want := wantSupervisionStatus(c.endpoint, c.role)
	if a.Status != want {
		t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
	}
	if want == 404 {
		ghost := call(t, ctx, nil, method, f.srv.URL+strings.Replace(path, "{id}", chat.NewID(), 1), token, body, nil)
		if ghost.Status != 404 || string(ghost.Body) != string(a.Body) {
			t.Fatalf("refusal differs from a conversation that does not exist's:\n  %s\n  %s", a.Body, ghost.Body)
		}
	}
	// A's seeker, read for the whole window: the frames pushed to staff never
	// reach them, and nothing at all when nothing happened.
	quiet := want >= 400 || method == "GET" || strings.HasSuffix(path, "/leave") // leaving what one never joined changes nothing
	seekerFrames := make(chan []chatclient.Frame, 1)
	go func() { seekerFrames <- collect(ctx, sc.seekerWatch, 400*time.Millisecond) }()
	switch {
	case quiet:
		expectQuiet(t, ctx, 300*time.Millisecond, id, map[string]*chatclient.Client{"A's counsellor": sc.staffWatch})
	case strings.HasSuffix(path, "/whispers"):
		waitFrame(t, ctx, sc.staffWatch, "the whisper", func(fr chatclient.Frame) bool { return fr.Type == "whisper" && fr.ConversationID == id })
	case strings.HasSuffix(path, "/take-over"):
		waitFrame(t, ctx, sc.staffWatch, "taken over", func(fr chatclient.Frame) bool { return fr.Type == "taken_over" && fr.ConversationID == id })
	}
	heard := map[string]bool{}
	for _, fr := range <-seekerFrames {
		switch {
		case fr.Type == "whisper" || fr.Type == "watchers" || fr.Type == "taken_over" || strings.Contains(string(fr.Raw), "susurro"):
			t.Fatalf("A's seeker got %s", fr.Raw)
		case fr.Type == "message" && fr.ConversationID == id:
			heard[fr.Kind] = true
		}
		if (quiet || strings.HasSuffix(path, "/whispers")) && activityAbout(fr, id) {
			t.Fatalf("A's seeker got %s, though nothing happened to them", fr.Raw)
		}
	}
	if strings.HasSuffix(path, "/join") && want < 400 && !heard["staff_joined"] {
		t.Fatal("A's seeker was not told another member of the team joined")
	}
	if strings.HasSuffix(path, "/take-over") && want < 400 && !heard["transferred"] {
		t.Fatal("A's seeker was not told of the take-over")
	}
}
