package main

import (
	"strings"
	"testing"

	"helpline/cmd/internal/servertest"
)

// The authorisation matrix of the counsellor's tools (prepared answers, case
// notes, wrap-ups), every endpoint tried by every role of authz_test.go's
// fixture. Seekers' credentials are not staff sign-ins: 401 like none.

// toolEndpoints: each endpoint (a variant name after a space where one path
// is tried with two bodies) and the state of conversation A it acts on.
var toolEndpoints = []struct{ name, state string }{
	{"GET /api/answers", ""},
	{"PUT /api/answers/{id} own", ""},
	{"PUT /api/answers/{id} service", ""},
	{"DELETE /api/answers/{id}", ""},
	{"GET /api/conversations/{id}/casenotes", "active"},
	{"POST /api/conversations/{id}/casenotes", "active"},
	{"GET /api/wrapup/form", ""},
	{"GET /api/conversations/{id}/wrapup", "active"},
	{"PUT /api/conversations/{id}/wrapup", "active"},
	{"POST /api/conversations/{id}/wrapup/complete", "ended"},
}

// wantToolStatus is the matrix.
func wantToolStatus(endpoint string, r role) int {
	if !r.isStaff() || !r.authenticates() {
		return 401
	}
	shared := r == roleSupervisor || r == roleAdmin
	switch endpoint {
	case "GET /api/answers", "PUT /api/answers/{id} own", "GET /api/wrapup/form":
		return 200
	case "PUT /api/answers/{id} service":
		return map[bool]int{true: 200, false: 404}[shared]
	case "DELETE /api/answers/{id}":
		return map[bool]int{true: 204, false: 404}[shared]
	case "GET /api/conversations/{id}/casenotes", "POST /api/conversations/{id}/casenotes":
		// Those who may read the conversation: its counsellor, supervisors, admins.
		if r == roleAssigned || shared {
			return map[bool]int{true: 201, false: 200}[strings.HasPrefix(endpoint, "POST")]
		}
		return 404
	}
	// The wrap-up: only whoever holds the conversation.
	return map[bool]int{true: 200, false: 404}[r == roleAssigned]
}

var fullWrapup = map[string]string{"contact_type": "own_behaviour", "category": "thoughts/fear_of_acting",
	"protective_actions": "yes", "referral_made": "no", "risk_identified": "none"}

func TestAuthorizationMatrixTools(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := matrixCtx(t)
		f := newAuthzFixture(t, ctx, srv)
		type toolCase struct {
			endpoint, state string
			role            role
		}
		var cases []toolCase
		for _, ep := range toolEndpoints {
			for _, r := range allRoles {
				cases = append(cases, toolCase{ep.name, ep.state, r})
				if ep.name == "DELETE /api/answers/{id}" {
					// Each case deletes a shared answer of its own, so that a
					// refusal is not mistaken for "already gone".
					a := call(t, ctx, nil, "PUT", srv.URL+"/api/answers/shared-"+string(r), f.token[roleAdmin],
						map[string]any{"language": "es", "scope": "service", "title": "Compartida", "body": "Hola"}, nil)
					if a.Status != 200 {
						t.Fatalf("creating a shared answer: %d %s", a.Status, a.Body)
					}
				}
			}
		}
		runConcurrently(t, cases, func(c toolCase) string { return c.endpoint + "/" + string(c.role) }, func(t *testing.T, c toolCase) {
			var sc *scene
			if c.state != "" {
				sc = f.newScene(t, ctx, c.state)
			} else {
				sc = &scene{own: f.other, other: f.other}
			}
			token := f.tokenOf(c.role, sc)
			method, path, _ := strings.Cut(c.endpoint, " ")
			path, variant, _ := strings.Cut(path, " ")
			if strings.Contains(path, "/conversations/") {
				path = strings.Replace(path, "{id}", sc.own.ConversationID, 1)
			}
			var body any
			switch {
			case variant == "own" || variant == "service":
				path = strings.Replace(path, "{id}", variant+"-"+string(c.role), 1)
				body = map[string]any{"language": "en", "scope": variant, "title": "Mine", "body": "See you {{day}}", "tags": []string{"closing"}}
			case method == "DELETE":
				path = strings.Replace(path, "{id}", "shared-"+string(c.role), 1)
			case strings.HasSuffix(path, "/casenotes") && method == "POST":
				body = map[string]any{"client_id": "n-" + string(c.role), "body": "Nota privada"}
			case strings.HasSuffix(path, "/wrapup") && method == "PUT":
				body = map[string]any{"answers": map[string]string{"contact_type": "silent"}}
			case strings.HasSuffix(path, "/complete"):
				body = map[string]any{"answers": fullWrapup}
			}
			a := call(t, ctx, nil, method, srv.URL+path, token, body, nil)
			want := wantToolStatus(c.endpoint, c.role)
			if a.Status != want {
				t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
			}
			if want >= 400 {
				wantCode := map[int]string{401: "unauthorized", 404: "not_found"}[want]
				if a.Code != wantCode || a.Message == "" {
					t.Fatalf("error %q %q, want %s", a.Code, a.Message, wantCode)
				}
			}
			// A refused conversation looks exactly like one that does not exist.
			if want == 404 && strings.Contains(path, "/conversations/") {
				ghost := call(t, ctx, nil, method, srv.URL+strings.Replace(path, sc.own.ConversationID, "00000000-0000-4000-8000-000000000000", 1), token, body, nil)
				if ghost.Status != a.Status || string(ghost.Body) != string(a.Body) {
					t.Fatalf("refusal differs from a missing conversation's:\n  %d %s\n  %d %s", a.Status, a.Body, ghost.Status, ghost.Body)
				}
			}
		})
		// Nobody but supervisors and admins deleted a shared answer.
		a := call(t, ctx, nil, "GET", srv.URL+"/api/answers?lang=es&q=compartida", f.token[roleAdmin], nil, nil)
		for _, r := range allRoles {
			kept := strings.Contains(string(a.Body), `"shared-`+string(r)+`"`)
			if gone := wantToolStatus("DELETE /api/answers/{id}", r) == 204; kept == gone {
				t.Errorf("shared answer of case %s kept: %v", r, kept)
			}
		}
	})
}
