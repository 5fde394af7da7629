package routing_test

import (
	"context"
	"testing"

	"helpline/routing"
)

// A new maximum from an admin lowers a chosen capacity above it, leaves one
// within it, bounds later choices, and is seen by every instance.
func TestStoreSetMaxCapacity(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		mustJoin(t, e.Store, member(1, "Ana", routing.StatusAvailable, 4, 5, minute(0), minute(0)))
		m, ok, err := e.SetMaxCapacity(ctx, 1, 2)
		if err != nil || !ok || m.Capacity != 2 || m.MaxCapacity != 2 {
			t.Fatalf("lowered to 2: %s %v %v", show(m), ok, err)
		}
		if m := mustMember(t, e.peer, 1); m.Capacity != 2 || m.MaxCapacity != 2 {
			t.Fatalf("the other instance sees %s", show(m))
		}
		if m, err := e.SetStatus(ctx, 1, routing.StatusAvailable, 4); err != nil || m.Capacity != 2 {
			t.Fatalf("chose 4 above a maximum of 2: %s %v", show(m), err)
		}
		if m, _, _ := e.SetMaxCapacity(ctx, 1, 6); m.Capacity != 2 || m.MaxCapacity != 6 {
			t.Fatalf("raised to 6: %s", show(m))
		}
		if _, ok, err := e.SetMaxCapacity(ctx, 99, 2); ok || err != nil {
			t.Fatalf("someone not on shift: %v %v", ok, err)
		}
	})
}
