package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"helpline/chat"
)

// The escalation endpoints in the authorisation matrix: each case gets a
// conversation its assigned counsellor holds and, for the endpoints about
// one escalation, an escalation that counsellor raised on it.

var escalationEndpoints = []string{
	"POST /api/escalations",
	"GET /api/escalations",
	"GET /api/escalations/mine",
	"GET /api/escalations/{id}",
	"POST /api/escalations/{id}/acknowledge",
	"POST /api/escalations/{id}/resolve",
	"GET /api/conversations/{id}/escalations",
}

func isEscalationEndpoint(endpoint string) bool {
	for _, e := range escalationEndpoints {
		if e == endpoint {
			return true
		}
	}
	return false
}

// escalationWant is the matrix row of an escalation endpoint.
func escalationWant(endpoint string, r role) int {
	handler := r == roleSupervisor || r == roleAdmin
	switch {
	case !r.isStaff() || !r.authenticates():
		return 401
	case endpoint == "POST /api/escalations":
		return map[bool]int{true: 201, false: 404}[r == roleAssigned] // only who holds the conversation
	case endpoint == "GET /api/escalations/mine":
		return 200
	case endpoint == "GET /api/escalations/{id}", endpoint == "GET /api/conversations/{id}/escalations":
		return map[bool]int{true: 200, false: 404}[handler || r == roleAssigned]
	}
	return map[bool]int{true: 200, false: 404}[handler] // the open list, acknowledge, resolve
}

func (f *authzFixture) runEscalationCase(t *testing.T, ctx context.Context, c httpCase) {
	srv := f.srv
	sc := f.newScene(t, ctx, "active")
	token := f.tokenOf(c.role, sc)
	method, path, _ := strings.Cut(c.endpoint, " ")
	holder := f.token[roleAssigned]
	var id string
	if strings.Contains(path, "/api/escalations/{id}") {
		a := call(t, ctx, nil, "POST", srv.URL+"/api/escalations", holder, map[string]any{"request_id": chat.NewID(),
			"conversation_id": sc.own.ConversationID, "reason": "need_advice", "urgency": "soon", "note": "nota de prueba"}, nil)
		if a.Status != 201 {
			t.Fatalf("raising the case's escalation: %d %s", a.Status, a.Body)
		}
		var r raised
		mustJSON(t, a.Body, &r)
		id = r.Escalation.ID
		path = strings.Replace(path, "{id}", id, 1)
	}
	path = strings.Replace(path, "{id}", sc.own.ConversationID, 1)
	var body any
	switch {
	case c.endpoint == "POST /api/escalations":
		body = map[string]any{"request_id": "case-" + string(c.role), "conversation_id": sc.own.ConversationID,
			"reason": "acute_distress", "urgency": "now", "note": "nota del caso"}
	case strings.HasSuffix(path, "/resolve"):
		body = map[string]any{"outcome": "no_action_needed", "note": ""}
	case method == "POST":
		body = map[string]any{}
	}
	a := call(t, ctx, nil, method, srv.URL+path, token, body, nil)
	want := escalationWant(c.endpoint, c.role)
	if a.Status != want {
		t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
	}
	if want >= 400 {
		wantCode := map[int]string{401: "unauthorized", 404: "not_found"}[want]
		if a.Code != wantCode || a.Message == "" {
			t.Fatalf("error %q %q, want %s", a.Code, a.Message, wantCode)
		}
	}
	if want == 404 { // a refusal is exactly what a missing escalation gets
		ghost := call(t, ctx, nil, "GET", srv.URL+"/api/escalations/00000000-0000-4000-8000-000000000000", token, nil, nil)
		if ghost.Status != a.Status || string(ghost.Body) != string(a.Body) {
			t.Fatalf("refusal differs from a missing escalation's:\n  %d %s\n  %d %s", a.Status, a.Body, ghost.Status, ghost.Body)
		}
	}
	if want == 200 && strings.Contains(string(a.Body), "nota") && (c.endpoint == "GET /api/escalations" || c.endpoint == "GET /api/escalations/mine") {
		t.Fatalf("a list without notes shows a note: %s", a.Body)
	}
	if id != "" { // the escalation changed only for who may change it
		g := call(t, ctx, nil, "GET", srv.URL+"/api/escalations/"+id, holder, nil, nil)
		var got raised
		mustJSON(t, g.Body, &got)
		wantStatus := "open"
		if want == 200 && strings.HasSuffix(path, "/acknowledge") {
			wantStatus = "acknowledged"
		} else if want == 200 && strings.HasSuffix(path, "/resolve") {
			wantStatus = "resolved"
		}
		if got.Escalation.Status != wantStatus {
			t.Fatalf("escalation is %s, want %s", got.Escalation.Status, wantStatus)
		}
	}
	if c.endpoint == "POST /api/escalations" {
		h := conversationEscalations(t, ctx, srv, holder, sc.own.ConversationID)
		if len(h.Escalations) != map[bool]int{true: 1, false: 0}[want == 201] {
			t.Fatalf("after the case the conversation has %d escalations", len(h.Escalations))
		}
	}
	var any map[string]any
	if err := json.Unmarshal(a.Body, &any); err != nil {
		t.Fatalf("not JSON: %s", a.Body)
	}
}
