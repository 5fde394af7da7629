package main

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/counselors/care"
)

// fakeClock is a clock a test steps by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type careView struct {
	StaffID string `json:"staff_id"`
	Shift   struct {
		ConversationSeconds int64 `json:"conversation_seconds"`
		Conversations       int   `json:"conversations"`
		HighRisk            int   `json:"high_risk"`
		Escalated           int   `json:"escalated"`
		Breaks              int   `json:"breaks"`
	} `json:"shift"`
	Week struct {
		Conversations int `json:"conversations"`
	} `json:"week"`
	CapState         string     `json:"cap_state"`
	OnBreak          bool       `json:"on_break"`
	BreakSuggestedAt *time.Time `json:"break_suggested_at"`
}

func careOf(t *testing.T, ctx context.Context, srv *servertest.Server, token, path string) careView {
	t.Helper()
	a := call(t, ctx, nil, "GET", srv.URL+path, token, nil, nil)
	if a.Status != 200 {
		t.Fatalf("GET %s: %d %s", path, a.Status, a.Body)
	}
	var v careView
	mustJSON(t, a.Body, &v)
	return v
}

func careFrame(t *testing.T, ctx context.Context, c *chatclient.Client, event string) {
	t.Helper()
	waitFrame(t, ctx, c, "care "+event, func(f chatclient.Frame) bool {
		var p care.Frame
		return f.Type == "care" && f.As(&p) == nil && p.Event == event
	})
}

// A counsellor's day, end to end on the real server: a conversation whose
// seeker writes a phrase of imminent risk is flagged and escalated by
// itself; when it ends, the counsellor's console is offered a break (not
// put on one), and their figures say so; a break taken answers it. With
// the clock stepped past the cap, they and the supervisors see it.
func TestCareFiguresEndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		clk := &fakeClock{t: time.Now().UTC()}
		srv.Care.SetClock(clk.now)
		_, supToken := staffMember(t, ctx, srv, "sara", "Sara", chat.RoleSupervisor)
		a := mustSeeker(t, ctx, srv)
		counselor, token := mustCounselor(t, ctx, srv, "lucia", 3)
		accept(t, ctx, counselor, a.started.ConversationID)
		a.Discard()
		send(t, ctx, a.Client, a.started.ConversationID, "r1", "Ya no quiero vivir.")
		riskFlagFrame(t, ctx, counselor, a.started.ConversationID)
		clk.add(40 * time.Minute)
		// The escalation is raised after the flag; wait for its frame before ending.
		waitFrame(t, ctx, counselor, "automatic escalation", func(f chatclient.Frame) bool { return f.Type == "escalation" })
		if err := counselor.Send(ctx, map[string]any{"type": "end", "conversation_id": a.started.ConversationID}); err != nil {
			t.Fatal(err)
		}
		careFrame(t, ctx, counselor, care.EventBreakSuggested)

		mine := careOf(t, ctx, srv, token, "/api/care/me")
		if mine.Shift.Conversations != 1 || mine.Shift.HighRisk != 1 || mine.Shift.Escalated != 1 ||
			mine.Shift.ConversationSeconds < 40*60 || mine.Shift.ConversationSeconds > 41*60 || mine.BreakSuggestedAt == nil ||
			mine.CapState != care.CapOK || mine.OnBreak {
			t.Fatalf("after a high-risk conversation: %+v", mine)
		}
		// The suggestion is only that: the counsellor's status is unchanged.
		noFrame(t, counselor, 200*time.Millisecond, func(f chatclient.Frame) bool { return f.Type == "status" })
		// One click: the status frame the console sends.
		if err := counselor.Send(ctx, map[string]any{"type": "status", "status": "break"}); err != nil {
			t.Fatal(err)
		}
		waitFrame(t, ctx, counselor, "own status", func(f chatclient.Frame) bool { return f.Type == "status" })
		if v := careOf(t, ctx, srv, token, "/api/care/me"); !v.OnBreak || v.BreakSuggestedAt != nil || v.Shift.Breaks != 1 {
			t.Fatalf("on a break: %+v", v)
		}
		clk.add(10 * time.Minute)
		if err := counselor.Send(ctx, map[string]any{"type": "status", "status": "available"}); err != nil {
			t.Fatal(err)
		}
		waitFrame(t, ctx, counselor, "own status", func(f chatclient.Frame) bool { return f.Type == "status" })

		// A long conversation takes them past the cap (the clock steps, nobody waits).
		b := mustSeeker(t, ctx, srv)
		accept(t, ctx, counselor, b.started.ConversationID)
		clk.add(4 * time.Hour)
		if v := careOf(t, ctx, srv, token, "/api/care/me"); v.CapState != care.CapNear {
			t.Fatalf("4 h 40 min in: %+v", v)
		}
		clk.add(30 * time.Minute)
		if v := careOf(t, ctx, srv, token, "/api/care/me"); v.CapState != care.CapPast || v.Shift.Conversations != 2 {
			t.Fatalf("5 h 10 min in: %+v", v)
		}
		var team struct {
			Members []struct {
				ID              string `json:"id"`
				ExposureSeconds int64  `json:"exposure_seconds"`
				CapState        string `json:"cap_state"`
			} `json:"members"`
		}
		a2 := call(t, ctx, nil, "GET", srv.URL+"/api/care/team", supToken, nil, nil)
		if a2.Status != 200 || json.Unmarshal(a2.Body, &team) != nil {
			t.Fatalf("team: %d %s", a2.Status, a2.Body)
		}
		found := false
		for _, m := range team.Members {
			if m.ID == mine.StaffID {
				found = m.CapState == care.CapPast && m.ExposureSeconds >= 5*3600
			}
		}
		if !found {
			t.Fatalf("the supervisors do not see the counsellor past the cap: %s", a2.Body)
		}
		// A supervisor reads one counsellor's figures: audited.
		id, _ := strconv.ParseInt(mine.StaffID, 10, 64)
		if v := careOf(t, ctx, srv, supToken, "/api/care/staff/"+mine.StaffID); v.Shift.HighRisk != 1 || v.CapState != care.CapPast {
			t.Fatalf("the supervisor's view: %+v", v)
		}
		entries, err := srv.Staff.AuditLog(ctx, chat.Principal{Role: chat.RoleAdmin}, 100)
		if err != nil {
			t.Fatal(err)
		}
		reads := 0
		for _, e := range entries {
			if e.Target == "care:"+strconv.FormatInt(id, 10) && e.Action == "read" {
				reads++
			}
		}
		if reads != 1 {
			t.Fatalf("the supervisor's read is audited %d times, want once", reads)
		}
	})
}
