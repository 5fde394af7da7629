package counselors_test

import (
	"context"
	"testing"

	"helpline/chat"
	"helpline/counselors"
)

// An admin's maximum bounds the account's capacity, is checked, audited and
// handed to whoever applies it on shift.
func TestSetMaxCapacity(t *testing.T) {
	forEach(t, func(t *testing.T, svc *counselors.Service, store counselors.Store, clock *fakeClock, broker *recordingBroker) {
		ctx := context.Background()
		a := mustAdd(t, svc, "lia", chat.RoleCounselor) // capacity 2, maximum 5
		var applied []int
		svc.OnMaxCapacity(func(_ context.Context, id int64, n int) error {
			if id != a.ID {
				t.Errorf("applied to %d", id)
			}
			applied = append(applied, n)
			return nil
		})
		for _, bad := range []int{0, -1, counselors.MostCapacity + 1} {
			if _, err := svc.SetMaxCapacity(ctx, a.ID, bad, 9); chat.ErrorCode(err) != chat.CodeInvalid {
				t.Errorf("max %d: %v", bad, err)
			}
		}
		if _, err := svc.SetMaxCapacity(ctx, 999, 3, 9); chat.ErrorCode(err) != chat.CodeNotFound {
			t.Errorf("unknown account: %v", err)
		}
		if got, err := svc.SetMaxCapacity(ctx, a.ID, 1, 9); err != nil || got.MaxCapacity != 1 || got.Capacity != 1 {
			t.Fatalf("lowered to 1: %+v %v", got, err)
		}
		if got, _ := store.Account(ctx, a.ID); got.MaxCapacity != 1 || got.Capacity != 1 {
			t.Fatalf("stored: %+v", got)
		}
		if got, _ := svc.SetMaxCapacity(ctx, a.ID, 8, 9); got.MaxCapacity != 8 || got.Capacity != 1 {
			t.Fatalf("raised to 8: %+v", got)
		}
		if len(applied) != 2 || applied[0] != 1 || applied[1] != 8 {
			t.Fatalf("applied on shift: %v", applied)
		}
		entries, _ := store.Audit(ctx, 10)
		if e := entries[0]; e.ActorID != 9 || e.Action != counselors.AuditAccountChange || e.Detail != "max_capacity=8 (was 1); capacity=1" {
			t.Fatalf("audited as %+v", e)
		}
	})
}
