package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"helpline/chat"
	"helpline/cmd/internal/servertest"
)

// TestImminentRiskOpensAnEscalationForSupervisors: as the server is wired
// (no fake escalator), a seeker message matching an imminent phrase opens
// an automatic escalation with urgency "now" that supervisors list, with
// the reason of its category; a second such message adds to it, not a new
// one.
func TestImminentRiskOpensAnEscalationForSupervisors(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		counselor, _ := mustCounselor(t, ctx, srv, "riesgo", 2)
		accept(t, ctx, counselor, id)
		_, sup := signIn(t, ctx, srv, "superv", srv.MustAccount(t, "superv", "Sara", chat.RoleSupervisor, 1))

		send(t, ctx, s.Client, id, "r1", "Ya no quiero vivir.")
		send(t, ctx, s.Client, id, "r2", "me quiero morir")
		type esc struct {
			ConversationID string `json:"conversation_id"`
			Reason         string
			Urgency        string
			Automatic      bool
		}
		var list struct{ Escalations []esc }
		deadline := time.Now().Add(10 * time.Second)
		for {
			a := call(t, ctx, nil, "GET", srv.URL+"/api/escalations", sup.Token, nil, nil)
			if a.Status != 200 || json.Unmarshal(a.Body, &list) != nil {
				t.Fatalf("open escalations: %d %s", a.Status, a.Body)
			}
			if len(list.Escalations) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond) // the observer runs after the commit, off the message path
		}
		if len(list.Escalations) != 1 {
			t.Fatalf("%d open escalations, want 1: %+v", len(list.Escalations), list.Escalations)
		}
		e := list.Escalations[0]
		if e.ConversationID != id || e.Reason != "self_harm" || e.Urgency != "now" || !e.Automatic {
			t.Fatalf("escalation %+v, want an automatic self_harm one, now, for %s", e, id)
		}
		if strings.Contains(string(mustMarshal(t, list)), "quiero") {
			t.Fatal("the list of escalations carries the seeker's words")
		}
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
