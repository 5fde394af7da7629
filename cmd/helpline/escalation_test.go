package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
	"helpline/routing/escalation"
)

// escalationFrame reads an "escalation" frame.
func escalationFrame(f chatclient.Frame) (escalation.Frame, bool) {
	var e escalation.Frame
	if f.Type != "escalation" || json.Unmarshal(f.Raw, &e) != nil {
		return e, false
	}
	return e, true
}

// waitEscalation waits for the escalation frame of event about id.
func waitEscalation(t *testing.T, ctx context.Context, c *chatclient.Client, who, event, id string) escalation.Frame {
	t.Helper()
	f := waitFrame(t, ctx, c, who+" hearing "+event, func(f chatclient.Frame) bool {
		e, ok := escalationFrame(f)
		return ok && e.Event == event && (id == "" || e.EscalationID == id)
	})
	e, _ := escalationFrame(f)
	return e
}

// staffMember signs a new account of role in and connects it.
func staffMember(t *testing.T, ctx context.Context, srv *servertest.Server, username, name string, role chat.Role) (*chatclient.Client, string) {
	t.Helper()
	c, in := signIn(t, ctx, srv, username, srv.MustAccount(t, username, name, role, 3))
	return c, in.Token
}

type raised struct {
	Escalation struct {
		ID             string `json:"id"`
		Status         string `json:"status"`
		NobodyOnShift  bool   `json:"nobody_on_shift"`
		Late           bool   `json:"late"`
		AckByName      string `json:"acknowledged_by_name"`
		Outcome        string `json:"outcome"`
		ConversationID string `json:"conversation_id"`
		Notes          []struct{ Body, Kind string }
	} `json:"escalation"`
	NobodyOnShift bool              `json:"nobody_on_shift"`
	OutOfHours    map[string]string `json:"out_of_hours"`
}

func raiseEscalation(t *testing.T, ctx context.Context, srv *servertest.Server, token string, body map[string]any, want int) raised {
	t.Helper()
	a := call(t, ctx, nil, "POST", srv.URL+"/api/escalations", token, body, nil)
	if a.Status != want {
		t.Fatalf("raise: %d %s, want %d", a.Status, a.Body, want)
	}
	var r raised
	mustJSON(t, a.Body, &r)
	return r
}

func escalationAction(t *testing.T, ctx context.Context, srv *servertest.Server, token, id, action string, body map[string]any) raised {
	t.Helper()
	a := call(t, ctx, nil, "POST", srv.URL+"/api/escalations/"+id+"/"+action, token, body, nil)
	if a.Status != 200 {
		t.Fatalf("%s: %d %s", action, a.Status, a.Body)
	}
	var r raised
	mustJSON(t, a.Body, &r)
	return r
}

type history struct {
	Escalations []struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		Late          bool   `json:"late"`
		NobodyOnShift bool   `json:"nobody_on_shift"`
		Outcome       string `json:"outcome"`
		Notes         []struct {
			Body string `json:"body"`
			Kind string `json:"kind"`
		} `json:"notes"`
	} `json:"escalations"`
}

func conversationEscalations(t *testing.T, ctx context.Context, srv *servertest.Server, token, conversationID string) history {
	t.Helper()
	a := call(t, ctx, nil, "GET", srv.URL+"/api/conversations/"+conversationID+"/escalations", token, nil, nil)
	if a.Status != 200 {
		t.Fatalf("history: %d %s", a.Status, a.Body)
	}
	var h history
	mustJSON(t, a.Body, &h)
	return h
}

// TestEscalationRoundTrip: a counsellor raises an escalation; every
// supervisor on shift hears it at once, nobody else does; one acknowledges
// and the counsellor sees who; the resolution is recorded and audited.
func TestEscalationRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		counselor, ctoken := mustCounselor(t, ctx, srv, "alex", 3)
		s := mustSeeker(t, ctx, srv)
		accept(t, ctx, counselor, s.started.ConversationID)
		sup1, s1token := staffMember(t, ctx, srv, "sam", "Sam", chat.RoleSupervisor)
		sup2, _ := staffMember(t, ctx, srv, "kim", "Kim", chat.RoleSupervisor)
		bystander, _ := mustCounselor(t, ctx, srv, "otra", 3)
		admin, atoken := staffMember(t, ctx, srv, "admi", "Admin", chat.RoleAdmin)
		const note = "menciona a un niño en su casa"
		body := map[string]any{"request_id": "r-1", "conversation_id": s.started.ConversationID, "reason": "child_at_risk", "urgency": "now", "note": note}
		r := raiseEscalation(t, ctx, srv, ctoken, body, 201)
		if r.NobodyOnShift || r.Escalation.Status != "open" {
			t.Fatalf("raised: %+v", r)
		}
		id := r.Escalation.ID
		for name, c := range map[string]*chatclient.Client{"supervisor 1": sup1, "supervisor 2": sup2, "counsellor": counselor} {
			f := waitEscalation(t, ctx, c, name, escalation.EventRaised, id)
			if f.Reason != escalation.ReasonChildAtRisk || f.Urgency != escalation.UrgencyNow || f.RaisedByName != "Consejera alex" {
				t.Fatalf("%s heard %+v", name, f)
			}
		}
		if again := raiseEscalation(t, ctx, srv, ctoken, body, 200); again.Escalation.ID != id {
			t.Fatalf("a retried raise made another escalation: %+v", again)
		}
		h := conversationEscalations(t, ctx, srv, ctoken, s.started.ConversationID)
		if len(h.Escalations) != 1 || len(h.Escalations[0].Notes) != 1 || h.Escalations[0].Notes[0].Body != note {
			t.Fatalf("history after a retry: %+v", h)
		}

		ack := escalationAction(t, ctx, srv, s1token, id, "acknowledge", map[string]any{})
		if ack.Escalation.AckByName != "Sam" || ack.Escalation.Status != "acknowledged" {
			t.Fatalf("acknowledged: %+v", ack)
		}
		seen := waitEscalation(t, ctx, counselor, "counsellor", escalation.EventAcknowledged, id)
		if seen.AckByName != "Sam" || seen.AckAt == nil || seen.Late {
			t.Fatalf("the counsellor saw %+v", seen)
		}
		waitEscalation(t, ctx, sup2, "supervisor 2", escalation.EventAcknowledged, id)

		res := escalationAction(t, ctx, srv, s1token, id, "resolve", map[string]any{"outcome": "safety_plan_agreed", "note": "acordamos un plan"})
		if res.Escalation.Status != "resolved" || res.Escalation.Outcome != "safety_plan_agreed" {
			t.Fatalf("resolved: %+v", res)
		}
		if f := waitEscalation(t, ctx, counselor, "counsellor", escalation.EventResolved, id); f.ResolvedByName != "Sam" || f.Outcome != escalation.OutcomeSafetyPlanAgreed {
			t.Fatalf("the counsellor saw %+v", f)
		}
		h = conversationEscalations(t, ctx, srv, s1token, s.started.ConversationID)
		if e := h.Escalations[0]; e.Status != "resolved" || len(e.Notes) != 2 || e.Notes[1].Body != "acordamos un plan" || e.Notes[1].Kind != "resolve" {
			t.Fatalf("history after resolving: %+v", h)
		}

		// Frames carry no note text; a counsellor not on the conversation,
		// and the seeker, heard nothing; admins were not needed.
		for name, c := range map[string]*chatclient.Client{"bystander": bystander, "seeker": s.Client, "admin": admin} {
			for _, f := range collect(ctx, c, 200*time.Millisecond) {
				if f.Type == "escalation" || strings.Contains(string(f.Raw), id) {
					t.Errorf("%s heard of the escalation: %s", name, f.Raw)
				}
			}
		}
		for _, c := range []*chatclient.Client{sup1, sup2, counselor} {
			for _, f := range collect(ctx, c, 50*time.Millisecond) {
				if strings.Contains(string(f.Raw), note) {
					t.Errorf("a frame carried the note: %s", f.Raw)
				}
			}
		}
		audit := call(t, ctx, nil, "GET", srv.URL+"/api/admin/audit", atoken, nil, nil)
		for _, action := range []string{"escalation.raise", "escalation.acknowledge", "escalation.resolve"} {
			if !strings.Contains(string(audit.Body), action) {
				t.Errorf("the audit log lacks %s", action)
			}
		}
		if strings.Contains(string(audit.Body), note) {
			t.Error("the audit log holds the note's text")
		}
	})
}

// TestEscalationWithNobodyOnShift: with no supervisor on shift, admins on
// shift hear it; with nobody, the counsellor is told at once and the
// escalation says so in the record.
func TestEscalationWithNobodyOnShift(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		counselor, ctoken := mustCounselor(t, ctx, srv, "alex", 3)
		s := mustSeeker(t, ctx, srv)
		accept(t, ctx, counselor, s.started.ConversationID)
		r := raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": "n-1", "conversation_id": s.started.ConversationID,
			"reason": "self_harm", "urgency": "now", "note": ""}, 201)
		if !r.NobodyOnShift || !r.Escalation.NobodyOnShift || !strings.Contains(r.OutOfHours["en"], "out-of-hours") || r.OutOfHours["es"] == "" {
			t.Fatalf("nobody on shift, answer: %+v", r)
		}
		if h := conversationEscalations(t, ctx, srv, ctoken, s.started.ConversationID); !h.Escalations[0].NobodyOnShift {
			t.Fatalf("the record does not say nobody was on shift: %+v", h)
		}
		// An admin with the supervisor page open is on shift; no supervisor is.
		admin, atoken := staffMember(t, ctx, srv, "admi", "Admin", chat.RoleAdmin)
		if a := call(t, ctx, nil, "GET", srv.URL+"/api/escalations", atoken, nil, nil); a.Status != 200 || !strings.Contains(string(a.Body), r.Escalation.ID) {
			t.Fatalf("open escalations: %d %s", a.Status, a.Body)
		}
		r2 := raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": "n-2", "conversation_id": s.started.ConversationID,
			"reason": "acute_distress", "urgency": "soon", "note": ""}, 201)
		if r2.NobodyOnShift {
			t.Fatal("an admin on shift, yet nobody was")
		}
		waitEscalation(t, ctx, admin, "the admin", escalation.EventRaised, r2.Escalation.ID)
		// A debrief, asked outside any conversation, reaches them the same way.
		d := raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": "n-3", "reason": "debrief", "note": "un día duro"}, 201)
		if f := waitEscalation(t, ctx, admin, "the admin", escalation.EventRaised, d.Escalation.ID); f.Urgency != escalation.UrgencyWhenPossible || f.ConversationID != "" {
			t.Fatalf("debrief frame: %+v", f)
		}
	})
}

// TestEscalationDeadlineReAlertsOnce: past the deadline (a fake clock), every
// supervisor on shift is alerted again, once, and the escalation is late.
func TestEscalationDeadlineReAlertsOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		counselor, ctoken := mustCounselor(t, ctx, srv, "alex", 3)
		s := mustSeeker(t, ctx, srv)
		accept(t, ctx, counselor, s.started.ConversationID)
		sup, stoken := staffMember(t, ctx, srv, "sam", "Sam", chat.RoleSupervisor)
		start := time.Now()
		r := raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": "d-1", "conversation_id": s.started.ConversationID,
			"reason": "need_advice", "urgency": "now", "note": ""}, 201)
		id := r.Escalation.ID
		waitEscalation(t, ctx, sup, "supervisor", escalation.EventRaised, id)
		if n, err := srv.Escalations.CheckLate(ctx, start.Add(time.Minute)); err != nil || n != 0 {
			t.Fatalf("before the deadline: %d %v", n, err)
		}
		if n, err := srv.Escalations.CheckLate(ctx, start.Add(2*time.Minute+5*time.Second)); err != nil || n != 1 {
			t.Fatalf("past the deadline: %d %v", n, err)
		}
		if f := waitEscalation(t, ctx, sup, "supervisor", escalation.EventLate, id); !f.Late {
			t.Fatalf("late frame: %+v", f)
		}
		waitEscalation(t, ctx, counselor, "counsellor", escalation.EventLate, id)
		if n, _ := srv.Escalations.CheckLate(ctx, start.Add(time.Hour)); n != 0 {
			t.Fatalf("re-alerted %d more times", n)
		}
		for _, f := range collect(ctx, sup, 200*time.Millisecond) {
			if e, ok := escalationFrame(f); ok && e.Event == escalation.EventLate {
				t.Errorf("a second re-alert: %s", f.Raw)
			}
		}
		ack := escalationAction(t, ctx, srv, stoken, id, "acknowledge", map[string]any{})
		if !ack.Escalation.Late || ack.Escalation.AckByName != "Sam" {
			t.Fatalf("acknowledged late: %+v", ack)
		}
	})
}

// TestEscalationsAcrossInstances: two instances on one database. Supervisors
// on both hear a raise made on one; an acknowledgement on the other reaches
// the counsellor; a missed deadline re-alerts once however many instances
// check, and still once after the instance it was raised on restarts.
func TestEscalationsAcrossInstances(t *testing.T) {
	ctx := testCtx(t)
	_, url := migrationstest.MustOpen(t)
	a := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	b := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	counselor, ctoken := mustCounselor(t, ctx, a, "alex", 3)
	s := mustSeeker(t, ctx, a)
	accept(t, ctx, counselor, s.started.ConversationID)
	supA, _ := staffMember(t, ctx, a, "sam", "Sam", chat.RoleSupervisor)
	kimPass := a.MustAccount(t, "kim", "Kim", chat.RoleSupervisor, 3)
	supB, kin := signIn(t, ctx, b, "kim", kimPass)

	raise := func(srv *servertest.Server, request, reason string) string {
		return raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": request, "conversation_id": s.started.ConversationID,
			"reason": reason, "urgency": "now", "note": ""}, 201).Escalation.ID
	}
	id := raise(a, "x-1", "child_at_risk")
	waitEscalation(t, ctx, supA, "supervisor on a", escalation.EventRaised, id)
	waitEscalation(t, ctx, supB, "supervisor on b", escalation.EventRaised, id)
	escalationAction(t, ctx, b, kin.Token, id, "acknowledge", map[string]any{})
	if f := waitEscalation(t, ctx, counselor, "counsellor on a", escalation.EventAcknowledged, id); f.AckByName != "Kim" {
		t.Fatalf("the counsellor saw %+v", f)
	}

	late := raise(a, "x-2", "self_harm")
	past := time.Now().Add(3 * time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, srv := range []*servertest.Server{a, b, a, b} {
		wg.Go(func() {
			n, err := srv.Escalations.CheckLate(ctx, past)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != 1 {
		t.Fatalf("four checks on two instances re-alerted %d times", total)
	}
	for name, c := range map[string]*chatclient.Client{"supervisor on a": supA, "supervisor on b": supB} {
		waitEscalation(t, ctx, c, name, escalation.EventLate, late)
		for _, f := range collect(ctx, c, 200*time.Millisecond) {
			if e, ok := escalationFrame(f); ok && e.Event == escalation.EventLate && e.EscalationID == late {
				t.Errorf("%s was re-alerted twice", name)
			}
		}
	}

	// Restart mid-deadline: raised on a, a stops before the deadline, a new
	// instance comes up on the same database and re-alerts it, once.
	restarted := raise(a, "x-3", "acute_distress")
	a.Close()
	a2 := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	if n, err := a2.Escalations.CheckLate(ctx, time.Now().Add(3*time.Minute)); err != nil || n != 1 {
		t.Fatalf("after a restart: re-alerted %d (%v), want 1", n, err)
	}
	waitEscalation(t, ctx, supB, "supervisor on b", escalation.EventLate, restarted)
	if n, _ := b.Escalations.CheckLate(ctx, time.Now().Add(time.Hour)); n != 0 {
		t.Fatalf("re-alerted %d more times after the restart", n)
	}
}

// When the audit log refuses escalation rows, nothing is raised or
// acknowledged and nobody is alerted; when it refuses reads, no note is read.
func TestEscalationActionsAreRefusedWhenTheirAuditRowCannotBeWritten(t *testing.T) {
	pool, url := migrationstest.MustOpen(t)
	srv := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	ctx := testCtx(t)
	counselor, ctoken := mustCounselor(t, ctx, srv, "alex", 3)
	s := mustSeeker(t, ctx, srv)
	accept(t, ctx, counselor, s.started.ConversationID)
	sup, stoken := staffMember(t, ctx, srv, "sam", "Sam", chat.RoleSupervisor)
	id := raiseEscalation(t, ctx, srv, ctoken, map[string]any{"request_id": "a-1", "conversation_id": s.started.ConversationID,
		"reason": "need_advice", "urgency": "soon", "note": "secreto"}, 201).Escalation.ID
	waitEscalation(t, ctx, sup, "supervisor", escalation.EventRaised, id)

	if _, err := pool.Exec(ctx, `ALTER TABLE audit_log ADD CONSTRAINT escalations_fail CHECK (action NOT LIKE 'escalation.%' AND action <> 'read') NOT VALID`); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"request_id": "a-2", "conversation_id": s.started.ConversationID, "reason": "self_harm", "urgency": "now", "note": ""}
	if a := call(t, ctx, nil, "POST", srv.URL+"/api/escalations", ctoken, body, nil); a.Status != 503 || a.Code != "unavailable" {
		t.Fatalf("unaudited raise: %d %s", a.Status, a.Body)
	}
	for _, path := range []string{"/api/escalations/" + id + "/acknowledge"} {
		if a := call(t, ctx, nil, "POST", srv.URL+path, stoken, map[string]any{}, nil); a.Status != 503 {
			t.Fatalf("unaudited %s: %d %s", path, a.Status, a.Body)
		}
	}
	for _, path := range []string{"/api/escalations/" + id, "/api/conversations/" + s.started.ConversationID + "/escalations"} {
		if a := call(t, ctx, nil, "GET", srv.URL+path, stoken, nil, nil); a.Status != 503 || strings.Contains(string(a.Body), "secreto") {
			t.Fatalf("unaudited read %s: %d %s", path, a.Status, a.Body)
		}
	}
	for _, f := range collect(ctx, sup, 300*time.Millisecond) {
		if _, ok := escalationFrame(f); ok {
			t.Errorf("an unaudited action alerted: %s", f.Raw)
		}
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE audit_log DROP CONSTRAINT escalations_fail`); err != nil {
		t.Fatal(err)
	}
	var open int
	pool.QueryRow(ctx, `SELECT count(*) FROM escalations WHERE status = 'open'`).Scan(&open)
	if open != 1 {
		t.Fatalf("%d open escalations, want the first one only, unacknowledged", open)
	}
}

// An escalation's history follows its conversation through a transfer: the
// new counsellor reads it and hears what happens to it, the one who handed
// it on no longer reads it; and it goes when the seeker erases the
// conversation.
func TestEscalationHistoryFollowsTransfersAndErasure(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		s := mustSeeker(t, ctx, srv)
		id := s.started.ConversationID
		from, fromIn := signIn(t, ctx, srv, "origen", srv.MustCounselor(t, "origen", 2, servertest.Skills{}))
		to, toIn := signIn(t, ctx, srv, "destino", srv.MustCounselor(t, "destino", 2, servertest.Skills{}))
		_, stoken := staffMember(t, ctx, srv, "sam", "Sam", chat.RoleSupervisor)
		accept(t, ctx, from, id)
		esc := raiseEscalation(t, ctx, srv, fromIn.Token, map[string]any{"request_id": "t-1", "conversation_id": id,
			"reason": "acute_distress", "urgency": "soon", "note": "muy angustiado"}, 201).Escalation.ID
		team := chatclient.Team{}
		if _, err := from.WaitFor(ctx, func(f chatclient.Frame) bool { return team.Apply(f) && len(team) >= 2 }); err != nil {
			t.Fatalf("team never showed both: %v", err)
		}
		from.Send(ctx, map[string]any{"type": "transfer", "conversation_id": id, "to": toIn.Staff.ID, "note": ""})
		if _, err := to.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "conversation" && f.Conversation.ID == id }); err != nil {
			t.Fatal(err)
		}
		if _, err := to.Sync(ctx, id, 0); err != nil {
			t.Fatal(err)
		}
		if h := conversationEscalations(t, ctx, srv, toIn.Token, id); len(h.Escalations) != 1 || h.Escalations[0].Notes[0].Body != "muy angustiado" {
			t.Fatalf("the new counsellor reads %+v", h)
		}
		if a := call(t, ctx, nil, "GET", srv.URL+"/api/conversations/"+id+"/escalations", fromIn.Token, nil, nil); a.Status != 404 {
			t.Fatalf("the counsellor who handed it on still reads it: %d %s", a.Status, a.Body)
		}
		escalationAction(t, ctx, srv, stoken, esc, "acknowledge", map[string]any{})
		waitEscalation(t, ctx, to, "the new counsellor", escalation.EventAcknowledged, esc)

		for _, path := range []string{"/api/seeker/leave", "/api/seeker/delete"} {
			if a := call(t, ctx, nil, "POST", srv.URL+path, "", map[string]string{"token": s.started.Token}, nil); a.Status != 204 {
				t.Fatalf("%s: %d %s", path, a.Status, a.Body)
			}
		}
		if a := call(t, ctx, nil, "GET", srv.URL+"/api/escalations/"+esc, stoken, nil, nil); a.Status != 404 {
			t.Fatalf("the escalation outlived its erased conversation: %d %s", a.Status, a.Body)
		}
		if a := call(t, ctx, nil, "GET", srv.URL+"/api/escalations", stoken, nil, nil); strings.Contains(string(a.Body), esc) {
			t.Fatalf("still listed open: %s", a.Body)
		}
	})
}

// RaiseAutomatic, for rules such as risk flags: urgency now, raised by the
// service, its note marked automatic; every supervisor on shift hears it
// and acknowledges it like any other.
func TestAutomaticEscalation(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		counselor, _ := mustCounselor(t, ctx, srv, "alex", 3)
		s := mustSeeker(t, ctx, srv)
		accept(t, ctx, counselor, s.started.ConversationID)
		sup, stoken := staffMember(t, ctx, srv, "sam", "Sam", chat.RoleSupervisor)
		e, err := srv.Escalations.RaiseAutomatic(ctx, s.started.ConversationID, escalation.ReasonSelfHarm, "self_harm (es v1): «no quiero seguir»")
		if err != nil || e.Urgency != escalation.UrgencyNow || e.RaisedBy != escalation.SystemActor {
			t.Fatalf("automatic: %+v %v", e, err)
		}
		if f := waitEscalation(t, ctx, sup, "supervisor", escalation.EventRaised, e.ID); f.RaisedByName != "" || f.Urgency != escalation.UrgencyNow {
			t.Fatalf("frame %+v", f)
		}
		waitEscalation(t, ctx, counselor, "counsellor", escalation.EventRaised, e.ID)
		again, err := srv.Escalations.RaiseAutomatic(ctx, s.started.ConversationID, escalation.ReasonSelfHarm, "otra vez")
		if err != nil || again.ID != e.ID {
			t.Fatalf("a second match opened another: %+v %v", again, err)
		}
		h := conversationEscalations(t, ctx, srv, stoken, s.started.ConversationID)
		if n := h.Escalations[0].Notes; len(n) != 2 || !strings.HasPrefix(n[0].Body, escalation.AutomaticPrefix) || !strings.HasPrefix(n[1].Body, escalation.AutomaticPrefix) {
			t.Fatalf("notes %+v", n)
		}
		if _, err := srv.Escalations.RaiseAutomatic(ctx, s.started.ConversationID, escalation.ReasonDebrief, ""); chat.ErrorCode(err) != chat.CodeInvalid {
			t.Fatalf("an automatic debrief: %v", err)
		}
		if ack := escalationAction(t, ctx, srv, stoken, e.ID, "acknowledge", map[string]any{}); ack.Escalation.AckByName != "Sam" {
			t.Fatalf("acknowledged: %+v", ack)
		}
	})
}
