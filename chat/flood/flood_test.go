package flood_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"helpline/chat"
	"helpline/chat/flood"
	"helpline/migrations/migrationstest"
)

type audit struct {
	fail error
	rows []string
}

func (a *audit) Record(_ context.Context, actor int64, action, target, detail string) error {
	if a.fail != nil {
		return a.fail
	}
	a.rows = append(a.rows, strconv.FormatInt(actor, 10)+" "+action+" "+detail)
	return nil
}

func stores(t *testing.T, test func(t *testing.T, st flood.Store)) {
	t.Run("memory", func(t *testing.T) { test(t, flood.NewMemoryStore()) })
	t.Run("postgres", func(t *testing.T) {
		pool, _ := migrationstest.MustOpen(t)
		test(t, flood.NewPostgresStore(pool))
	})
}

// solve finds a nonce the way the seeker page does.
func solve(t *testing.T, c flood.Challenge) string {
	for i := 0; i < 1<<24; i++ {
		if n := strconv.Itoa(i); flood.Solved(c.Challenge, n, c.Bits) {
			return n
		}
	}
	t.Fatal("no nonce found")
	return ""
}

func TestWaitingStepOnEveryInstanceWithProofOrTicket(t *testing.T) {
	stores(t, func(t *testing.T, st flood.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		a := &audit{}
		key := []byte("k")
		one := flood.New(flood.Config{Store: st, Audit: a, Key: key, Bits: 8, Wait: 20 * time.Second, Now: clock})
		other := flood.New(flood.Config{Store: st, Audit: a, Key: key, Bits: 8, Wait: 20 * time.Second, Now: clock})
		if err := other.CheckStart(ctx, flood.Proof{}); err != nil {
			t.Fatalf("off: a start was refused: %v", err)
		}
		if _, err := one.Switch(ctx, chat.Principal{Role: chat.RoleCounselor, StaffID: 3}, "C", true); err == nil {
			t.Fatal("a counsellor switched the waiting step")
		}
		a.fail = errors.New("audit down")
		if _, err := one.Switch(ctx, chat.Principal{Role: chat.RoleSupervisor, StaffID: 4}, "Sara", true); err == nil {
			t.Fatal("switched without an audit row")
		}
		a.fail = nil
		if s, err := one.Switch(ctx, chat.Principal{Role: chat.RoleSupervisor, StaffID: 4}, "Sara", true); err != nil || !s.On || s.By != "Sara" {
			t.Fatalf("switch: %+v %v", s, err)
		}
		if len(a.rows) != 1 || a.rows[0] != "4 "+flood.AuditSwitch+" on" {
			t.Fatalf("audit rows %q", a.rows)
		}
		now = now.Add(3 * time.Second) // past the other instance's cache
		s, err := other.State(ctx)
		if err != nil || !s.On || s.By != "Sara" || !s.Since.Equal(now.Add(-3*time.Second)) {
			t.Fatalf("the other instance reads %+v %v", s, err)
		}
		if err := other.CheckStart(ctx, flood.Proof{}); chat.ErrorCode(err) != chat.CodeRateLimited {
			t.Fatalf("on: a start without a proof: %v", err)
		}
		c, err := one.NewChallenge(ctx)
		if err != nil || !c.On || c.Bits != 8 {
			t.Fatalf("challenge %+v %v", c, err)
		}
		nonce := solve(t, c)
		wrong := "x"
		for flood.Solved(c.Challenge, wrong, 8) {
			wrong += "x"
		}
		if err := other.CheckStart(ctx, flood.Proof{Challenge: c.Challenge, Nonce: wrong}); err == nil {
			t.Fatal("an unsolved challenge started a conversation")
		}
		if err := other.CheckStart(ctx, flood.Proof{Challenge: c.Challenge, Nonce: nonce}); err != nil {
			t.Fatalf("a solved challenge was refused: %v", err)
		}
		if err := one.CheckStart(ctx, flood.Proof{Challenge: c.Challenge, Nonce: nonce}); err == nil {
			t.Fatal("one solved challenge started two conversations")
		}
		ticket, wait := one.NewTicket()
		if left, ok := other.TicketLeft(ticket); wait != 20*time.Second || !ok || left != wait {
			t.Fatalf("ticket waits %v, %v left (%v)", wait, left, ok)
		}
		if err := other.CheckStart(ctx, flood.Proof{Ticket: ticket}); err == nil {
			t.Fatal("an immature ticket started a conversation")
		}
		now = now.Add(20 * time.Second)
		if err := other.CheckStart(ctx, flood.Proof{Ticket: ticket + "x"}); err == nil {
			t.Fatal("a forged ticket started a conversation")
		}
		if err := other.CheckStart(ctx, flood.Proof{Ticket: ticket}); err != nil {
			t.Fatalf("a mature ticket was refused: %v", err)
		}
		if err := other.CheckStart(ctx, flood.Proof{Ticket: ticket}); err == nil {
			t.Fatal("one ticket started two conversations")
		}
		late, _ := one.NewTicket()
		now = now.Add(time.Hour)
		if err := other.CheckStart(ctx, flood.Proof{Ticket: late}); err == nil {
			t.Fatal("an expired ticket started a conversation")
		}
		if _, err := one.Switch(ctx, chat.Principal{Role: chat.RoleAdmin, StaffID: 5}, "Ana", false); err != nil {
			t.Fatal(err)
		}
		now = now.Add(3 * time.Second)
		if err := other.CheckStart(ctx, flood.Proof{}); err != nil {
			t.Fatalf("off again: %v", err)
		}
	})
}
