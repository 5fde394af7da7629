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
	"helpline/chat/riskflag"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// recordingEscalator stands in for routing/escalation: it records each
// automatic escalation and, while hold is open, keeps the caller waiting,
// as a slow escalation store would.
type recordingEscalator struct {
	mu    sync.Mutex
	calls []string
	got   chan string
	hold  chan struct{}
}

func newRecordingEscalator() *recordingEscalator {
	return &recordingEscalator{got: make(chan string, 16), hold: make(chan struct{})}
}

func (e *recordingEscalator) RaiseAutomatic(ctx context.Context, conversationID, category, note string) error {
	e.mu.Lock()
	e.calls = append(e.calls, conversationID+"|"+category+"|"+note)
	e.mu.Unlock()
	e.got <- conversationID + "|" + category
	select {
	case <-e.hold:
	case <-ctx.Done():
	}
	return nil
}

func (e *recordingEscalator) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.calls)
}

// seesRisk: a frame that would tell a seeker anything of a flag.
func seesRisk(f chatclient.Frame) bool {
	raw := string(f.Raw)
	return f.Type == riskflag.FrameRiskFlag || strings.Contains(raw, "risk") || strings.Contains(raw, "self_harm") || strings.Contains(raw, "child_at")
}

func riskFlagFrame(t *testing.T, ctx context.Context, c *chatclient.Client, conversationID string) riskflag.FlagFrame {
	t.Helper()
	f, err := c.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == riskflag.FrameRiskFlag })
	if err != nil {
		t.Fatalf("no risk_flag frame: %v", err)
	}
	var p riskflag.FlagFrame
	if err := f.As(&p); err != nil || p.ConversationID != conversationID {
		t.Fatalf("risk_flag frame %s: %v", f.Raw, err)
	}
	return p
}

// A seeker's imminent phrase: the counsellor gets the flag (and its words
// over HTTP, audited), the seeker's socket gets nothing about it, one
// automatic escalation is raised however slow it is, without holding up
// the seeker's messages; a waiting seeker who writes one moves to the
// front of the queue, marked as risk.
func TestImminentPhraseFlagsEscalatesAndMovesAheadInTheQueue(t *testing.T) {
	forEachStore(t, func(t *testing.T, srv *servertest.Server) {
		ctx := testCtx(t)
		esc := newRecordingEscalator()
		srv.RiskFlags.SetEscalator(esc)
		a := mustSeeker(t, ctx, srv)
		counselor, token := mustCounselor(t, ctx, srv, "ines", 3)
		accept(t, ctx, counselor, a.started.ConversationID)
		if _, err := counselor.Sync(ctx, a.started.ConversationID, 0); err != nil {
			t.Fatal(err)
		}
		a.Discard()

		send(t, ctx, a.Client, a.started.ConversationID, "r1", "Ya no quiero vivir.")
		flag := riskFlagFrame(t, ctx, counselor, a.started.ConversationID)
		if flag.Category != riskflag.CategorySelfHarm || !flag.Imminent || flag.List != "es" || flag.Seq == 0 {
			t.Fatalf("flag frame %+v", flag)
		}
		select {
		case call := <-esc.got:
			if call != a.started.ConversationID+"|self_harm" {
				t.Fatalf("escalation %q", call)
			}
		case <-ctx.Done():
			t.Fatal("no automatic escalation")
		}
		// The escalator is still holding the observer: messages flow and are acknowledged all the same.
		send(t, ctx, a.Client, a.started.ConversationID, "r2", "me quiero morir")
		send(t, ctx, a.Client, a.started.ConversationID, "r3", "hola")
		close(esc.hold)
		riskFlagFrame(t, ctx, counselor, a.started.ConversationID) // the second message's flag, once the observer is free
		noFrame(t, a.Client, 300*time.Millisecond, seesRisk)
		if n := esc.count(); n != 1 {
			t.Fatalf("the escalator was called %d times, want once", n)
		}

		got := call(t, ctx, nil, "GET", srv.URL+"/api/staff/conversations/"+a.started.ConversationID+"/risk-flags", token, nil, nil)
		var list struct {
			Flags []struct {
				ID, Category, List, Version string
				Seq                         int64
				Imminent                    bool
				Words                       []string
			}
		}
		if got.Status != 200 || json.Unmarshal(got.Body, &list) != nil || len(list.Flags) != 2 {
			t.Fatalf("risk flags: %d %s", got.Status, got.Body)
		}
		if f := list.Flags[0]; f.ID != flag.FlagID || f.Seq != flag.Seq || f.Version != flag.Version || len(f.Words) != 1 || f.Words[0] != "Ya no quiero vivir" {
			t.Fatalf("first flag: %+v (frame %+v)", f, flag)
		}

		entries, err := srv.Staff.AuditLog(ctx, chat.Principal{Role: chat.RoleAdmin}, 100)
		if err != nil {
			t.Fatal(err)
		}
		audited := 0
		for _, e := range entries {
			if e.Action == "read" && e.Target == "conversation:"+a.started.ConversationID {
				audited++
			}
		}
		if audited < 2 { // the counsellor's sync, and the flags
			t.Fatalf("reading the flags was not audited: %+v", entries)
		}

		// The queue: two wait; the later one writes an imminent phrase and goes first.
		first, later := startSeeker(t, ctx, srv, "self", "en"), startSeeker(t, ctx, srv, "self", "en")
		if _, err := later.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "position" && f.Wait.Position == 2 }); err != nil {
			t.Fatal(err)
		}
		send(t, ctx, later.Client, later.started.ConversationID, "w1", "I'm alone with a child right now")
		if _, err := later.WaitFor(ctx, func(f chatclient.Frame) bool { return f.Type == "position" && f.Wait.Position == 1 }); err != nil {
			t.Fatalf("the seeker at risk did not move to the front: %v", err)
		}
		q, err := counselor.WaitFor(ctx, func(f chatclient.Frame) bool {
			return f.Type == "queue" && len(f.Waiting) == 2 && f.Waiting[0].ConversationID == later.started.ConversationID
		})
		if err != nil {
			t.Fatalf("the queue did not put the seeker at risk first: %v", err)
		}
		if e := q.Waiting[0]; e.Priority != chat.PriorityRisk || e.PriorityReason != "risk:child_at_risk_now" || q.Waiting[1].ConversationID != first.started.ConversationID {
			t.Fatalf("queue %s", q.Raw)
		}
		select {
		case call := <-esc.got:
			if call != later.started.ConversationID+"|child_at_risk_now" {
				t.Fatalf("escalation %q", call)
			}
		case <-ctx.Done():
			t.Fatal("no automatic escalation for the waiting seeker")
		}
		noFrame(t, later.Client, 200*time.Millisecond, seesRisk)
	})
}

// Two instances on one database: the seeker on one, the counsellor on the
// other. The flag reaches the counsellor there, one escalation is raised
// (by the instance that stored the message), and a waiting seeker at risk
// is first in the other instance's queue too.
func TestRiskFlagAcrossInstances(t *testing.T) {
	_, url := migrationstest.MustOpen(t)
	one := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	two := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	ctx := testCtx(t)
	escOne, escTwo := newRecordingEscalator(), newRecordingEscalator()
	close(escOne.hold)
	close(escTwo.hold)
	one.RiskFlags.SetEscalator(escOne)
	two.RiskFlags.SetEscalator(escTwo)
	a := mustSeeker(t, ctx, one)
	counselor, _ := mustCounselor(t, ctx, two, "nuria", 3)
	accept(t, ctx, counselor, a.started.ConversationID)
	if _, err := counselor.Sync(ctx, a.started.ConversationID, 0); err != nil {
		t.Fatal(err)
	}
	send(t, ctx, a.Client, a.started.ConversationID, "x1", "I want to die")
	if f := riskFlagFrame(t, ctx, counselor, a.started.ConversationID); f.Category != riskflag.CategorySelfHarm {
		t.Fatalf("flag %+v", f)
	}
	waiting := startSeeker(t, ctx, one, "self", "es")
	_ = startSeeker(t, ctx, one, "self", "es")
	later := startSeeker(t, ctx, one, "self", "es")
	send(t, ctx, later.Client, later.started.ConversationID, "x2", "me voy a suicidar")
	if _, err := counselor.WaitFor(ctx, func(f chatclient.Frame) bool {
		return f.Type == "queue" && len(f.Waiting) == 3 && f.Waiting[0].ConversationID == later.started.ConversationID &&
			f.Waiting[1].ConversationID == waiting.started.ConversationID
	}); err != nil {
		t.Fatalf("the other instance's queue does not put the seeker at risk first: %v", err)
	}
	for _, id := range []string{a.started.ConversationID, later.started.ConversationID} {
		select {
		case call := <-escOne.got:
			if !strings.HasPrefix(call, id+"|") {
				t.Fatalf("escalation %q, want one for %s", call, id)
			}
		case <-ctx.Done():
			t.Fatal("the seeker's instance did not escalate")
		}
	}
	noFrame(t, a.Client, 200*time.Millisecond, seesRisk)
	if escOne.count() != 2 || escTwo.count() != 0 {
		t.Fatalf("escalations: %d by the seeker's instance, %d by the other; want 2 and 0", escOne.count(), escTwo.count())
	}
}
