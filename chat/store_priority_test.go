package chat_test

import (
	"context"
	"errors"
	"testing"

	"helpline/chat"
)

// A waiting conversation raised to risk priority goes ahead of everyone,
// keeps its reason while it waits and if it comes back to the queue, and
// cannot be lowered by Prioritize.
func TestStorePrioritizeMovesAWaitingConversationFirst(t *testing.T) {
	forEachStore(t, func(t *testing.T, s chat.Store) {
		ctx := context.Background()
		first, second, third := mustCreate(t, s), mustCreate(t, s), mustCreate(t, s)
		changed, err := s.Prioritize(ctx, third.ID, chat.PriorityRisk, "risk:self_harm")
		if err != nil || !changed {
			t.Fatalf("Prioritize = %v, %v", changed, err)
		}
		waiting, err := s.Waiting(ctx)
		if err != nil || len(waiting) != 3 {
			t.Fatalf("Waiting: %d, %v", len(waiting), err)
		}
		if waiting[0].ID != third.ID || waiting[1].ID != first.ID || waiting[2].ID != second.ID {
			t.Fatalf("queue order after prioritising the third: %s %s %s", waiting[0].ID, waiting[1].ID, waiting[2].ID)
		}
		if waiting[0].Priority != chat.PriorityRisk || waiting[0].PriorityReason != "risk:self_harm" {
			t.Fatalf("stored priority %d %q", waiting[0].Priority, waiting[0].PriorityReason)
		}
		for _, p := range []int{chat.PriorityRisk, chat.PriorityReturned} {
			if changed, err := s.Prioritize(ctx, third.ID, p, "risk:other"); err != nil || changed {
				t.Fatalf("Prioritize at %d again = %v, %v; want no change", p, changed, err)
			}
		}
		// Active: not in the queue, so nothing to raise; back in the queue, the risk priority stays.
		if _, _, err := s.Assign(ctx, third.ID, 7, "Ana", 3); err != nil {
			t.Fatal(err)
		}
		if changed, err := s.Prioritize(ctx, third.ID, chat.PriorityRisk+1, "risk:x"); err != nil || changed {
			t.Fatalf("Prioritize of an active conversation = %v, %v", changed, err)
		}
		c, _, err := s.Requeue(ctx, third.ID, chat.RequeueCounselorLeft, chat.PriorityReturned, "", 0)
		if err != nil || c.Priority != chat.PriorityRisk || c.PriorityReason != "risk:self_harm" {
			t.Fatalf("requeued: priority %d %q, %v", c.Priority, c.PriorityReason, err)
		}
		// A returned conversation without risk gets PriorityReturned and no reason.
		if _, _, err := s.Assign(ctx, first.ID, 8, "Bo", 3); err != nil {
			t.Fatal(err)
		}
		c, _, err = s.Requeue(ctx, first.ID, chat.RequeueCounselorLeft, chat.PriorityReturned, "", 0)
		if err != nil || c.Priority != chat.PriorityReturned || c.PriorityReason != "" {
			t.Fatalf("returned: priority %d %q, %v", c.Priority, c.PriorityReason, err)
		}
		if _, err := s.Prioritize(ctx, chat.NewID(), chat.PriorityRisk, "risk:x"); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("Prioritize of an unknown conversation: %v", err)
		}
	})
}
