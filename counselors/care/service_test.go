package care_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/wire"
	"helpline/counselors/care"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type pushes struct {
	mu  sync.Mutex
	got []string
}

func (p *pushes) Push(_ context.Context, to chat.Recipients, f wire.Payload) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range to.Staff {
		p.got = append(p.got, f.(care.Frame).Event+":"+string(rune('0'+id)))
	}
	return nil
}

func (p *pushes) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.got
	p.got = nil
	return out
}

type team []int64

func (t team) OnShift(context.Context) ([]int64, error) { return t, nil }

var (
	counselor  = chat.Principal{Role: chat.RoleCounselor, StaffID: 7}
	supervisor = chat.Principal{Role: chat.RoleSupervisor, StaffID: 9}
	admin      = chat.Principal{Role: chat.RoleAdmin, StaffID: 1}
)

func active(id string, staff int64) chat.Conversation {
	return chat.Conversation{ID: id, Status: chat.StatusActive, CounselorID: staff}
}

func ended(id string) chat.Conversation { return chat.Conversation{ID: id, Status: chat.StatusEnded} }

func TestFiguresCapAndBreakSuggestion(t *testing.T) {
	worlds(t, func(t *testing.T, w world) {
		clk := &clock{t: t0}
		p := &pushes{}
		svc := care.New(care.Config{Store: w.care, Chat: p, Team: team{7}, Cap: 5 * time.Hour, CapNotice: 30 * time.Minute,
			BreakAfterHighRisk: true, Now: clk.now})
		mine := func() care.Figures {
			t.Helper()
			f, err := svc.Mine(ctx, counselor)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}

		// Yesterday: a two-hour conversation, then more than a shift's gap.
		old := w.conversation(t)
		svc.ConversationChanged(ctx, active(old, 7))
		clk.add(2 * time.Hour)
		svc.ConversationChanged(ctx, ended(old))
		if got := p.take(); len(got) != 1 || got[0] != "updated:7" {
			t.Fatalf("an ordinary conversation's end pushed %v", got)
		}
		clk.add(20 * time.Hour)
		if f := mine(); f.Shift.Conversations != 0 || f.Shift.ConversationTime != 0 || f.Week.Conversations != 1 ||
			f.Week.ConversationTime != 2*time.Hour || f.CapState != care.CapOK {
			t.Fatalf("a new day: %+v", f)
		}

		// Today: two conversations at once for four hours count four hours, not eight.
		a, b := w.conversation(t), w.conversation(t)
		svc.ConversationChanged(ctx, active(a, 7))
		svc.ConversationChanged(ctx, active(b, 7))
		svc.Flagged(ctx, a)
		clk.add(4 * time.Hour)
		if f := mine(); f.Shift.ConversationTime != 4*time.Hour || f.Shift.Conversations != 2 || f.Shift.HighRisk != 1 || f.CapState != care.CapOK {
			t.Fatalf("four hours in: %+v", f)
		}
		clk.add(35 * time.Minute)
		if f := mine(); f.CapState != care.CapNear {
			t.Fatalf("25 minutes before the cap: %+v", f)
		}
		// The supervisors see it too; a counsellor and an admin may not look.
		entries, err := svc.Team(ctx, supervisor)
		if err != nil || len(entries) != 1 || entries[0].CapState != care.CapNear || entries[0].Exposure != 4*time.Hour+35*time.Minute {
			t.Fatalf("team: %+v, %v", entries, err)
		}
		for _, who := range []chat.Principal{counselor, admin} {
			if _, err := svc.Team(ctx, who); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Fatalf("%s read the team's figures: %v", who.Role, err)
			}
			if _, err := svc.Of(ctx, who, 7); chat.ErrorCode(err) != chat.CodeNotFound {
				t.Fatalf("%s read a colleague's figures: %v", who.Role, err)
			}
		}
		if _, err := svc.Mine(ctx, admin); chat.ErrorCode(err) != chat.CodeNotFound {
			t.Fatalf("an admin has figures: %v", err)
		}

		// The flagged conversation ends: a break is suggested, not set.
		svc.ConversationChanged(ctx, ended(a))
		if got := p.take(); len(got) != 1 || got[0] != "break_suggested:7" {
			t.Fatalf("a high-risk conversation's end pushed %v", got)
		}
		f := mine()
		if f.BreakSuggested.IsZero() || f.OnBreak {
			t.Fatalf("after a high-risk conversation: %+v", f)
		}
		clk.add(30 * time.Minute)
		if f := mine(); f.CapState != care.CapPast || f.Shift.ConversationTime != 5*time.Hour+5*time.Minute {
			t.Fatalf("past the cap: %+v", f)
		}
		// Taking a break answers the suggestion; ending it is counted.
		svc.OnStatus(ctx, 7, "break")
		if f := mine(); !f.BreakSuggested.IsZero() || !f.OnBreak {
			t.Fatalf("on a break: %+v", f)
		}
		clk.add(15 * time.Minute)
		svc.OnStatus(ctx, 7, "available")
		f = mine()
		if !f.BreakSuggested.IsZero() || f.OnBreak || f.Shift.Breaks != 1 || f.Shift.BreakTime != 15*time.Minute {
			t.Fatalf("after the break: %+v", f)
		}
		// An escalation is counted as escalated and high-risk.
		svc.Escalated(ctx, b)
		if f := mine(); f.Shift.Escalated != 1 || f.Shift.HighRisk != 2 || f.Week.Conversations != 3 {
			t.Fatalf("after an escalation: %+v", f)
		}
		// The rule off: no suggestion.
		quiet := care.New(care.Config{Store: w.care, Chat: p, Now: clk.now})
		quiet.ConversationChanged(ctx, ended(b))
		if got := p.take(); len(got) != 1 || got[0] != "updated:7" {
			t.Fatalf("with the rule off, pushed %v", got)
		}
		if f, _ := quiet.Mine(ctx, counselor); !f.BreakSuggested.IsZero() {
			t.Fatalf("with the rule off, suggested %+v", f)
		}
		// Retention: 14 days on, nothing is left.
		clk.add(15 * 24 * time.Hour)
		if n, err := svc.Expire(ctx, clk.now()); err != nil || n == 0 {
			t.Fatalf("expire: %d %v", n, err)
		}
		if f := mine(); f.Week.Conversations != 0 || f.Week.Breaks != 0 {
			t.Fatalf("after retention: %+v", f)
		}
	})
}

// A change the hook never heard of (an instance stopped between the
// store's commit and the hook) is found by Reconcile: the spell ends, a
// high-risk one still offers its break, and a spell whose conversation was
// deleted ends too, instead of counting as time until retention.
func TestReconcileEndsMissedSpells(t *testing.T) {
	worlds(t, func(t *testing.T, w world) {
		clk := &clock{t: time.Now().UTC()}
		p := &pushes{}
		svc := care.New(care.Config{Store: w.care, Chat: p, Conversations: w.chat, BreakAfterHighRisk: true, Now: clk.now})
		held, gone, kept := w.conversation(t), w.conversation(t), w.conversation(t)
		for _, id := range []string{held, gone, kept} {
			c, _, err := w.chat.Assign(ctx, id, 7, "Alex", 5)
			if err != nil {
				t.Fatal(err)
			}
			svc.ConversationChanged(ctx, c)
		}
		svc.Flagged(ctx, held)
		// Ended and deleted behind the hook's back.
		for _, id := range []string{held, gone} {
			if _, _, err := w.chat.End(ctx, id, chat.EndedByCounselor); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.chat.(chat.Retention).DeleteConversation(ctx, gone); err != nil {
			t.Fatal(err)
		}
		clk.add(30 * time.Second)
		if n, err := svc.Reconcile(ctx); err != nil || n != 0 {
			t.Fatalf("spells under a minute old were reconciled: %d %v", n, err)
		}
		clk.add(time.Hour)
		if n, err := svc.Reconcile(ctx); err != nil || n != 1 {
			t.Fatalf("reconciled %d conversations, %v; want the ended one", n, err)
		}
		if got := p.take(); len(got) != 1 || got[0] != "break_suggested:7" {
			t.Fatalf("reconciling pushed %v", got)
		}
		f, err := svc.Mine(ctx, counselor)
		if err != nil {
			t.Fatal(err)
		}
		if f.Shift.Conversations != 3 || f.BreakSuggested.IsZero() {
			t.Fatalf("after reconciling: %+v", f)
		}
		open, err := w.care.Open(ctx, clk.now().Add(time.Hour))
		if err != nil || len(open) != 1 || open[0].ConversationID != kept {
			t.Fatalf("still open: %+v %v; want only the conversation still held", open, err)
		}
		if n, _ := svc.Reconcile(ctx); n != 0 {
			t.Fatalf("a second pass corrected %d", n)
		}
	})
}
