package routing_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"helpline/routing"
)

// List counts what Members holds: the members not offline heard from
// since a time, by status, with their room within the maximum, their ids
// when asked for, and every row not heard from since another time.
func TestStoreListIsTheMembersCounted(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		statuses := []routing.Status{routing.StatusAvailable, routing.StatusBusy, routing.StatusBreak, routing.StatusOffline}
		for id := int64(1); id <= 24; id++ {
			mustJoin(t, e, member(id, fmt.Sprint("C", id), routing.StatusAvailable, int(id%4)+1, int(id%3), minute(int(id%8)), minute(0)))
			if err := e.SetMisses(ctx, id, 0, statuses[id%4]); err != nil {
				t.Fatal(err)
			}
		}
		members, err := e.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			listedSince, lapsedBefore time.Time
			ids                       bool
		}{{minute(3), minute(2), true}, {minute(0), minute(8), false}, {minute(9), time.Time{}, true}} {
			var want routing.Listing
			var lapsed []string
			for _, m := range members {
				if m.SeenAt.Before(c.lapsedBefore) {
					lapsed = append(lapsed, show(m))
				}
				if m.Status == routing.StatusOffline || m.SeenAt.Before(c.listedSince) {
					continue
				}
				want.Listed, want.IDSum = want.Listed+1, want.IDSum+m.ID
				want.Capacity += min(m.Capacity, max(m.MaxCapacity, 1))
				switch m.Status {
				case routing.StatusAvailable:
					want.Available++
				case routing.StatusBusy:
					want.Busy++
				case routing.StatusBreak:
					want.Break++
				}
				if c.ids {
					want.IDs = append(want.IDs, m.ID)
				}
			}
			got, err := e.List(ctx, c.listedSince, c.lapsedBefore, c.ids)
			if err != nil {
				t.Fatal(err)
			}
			var gotLapsed []string
			for _, m := range got.Lapsed {
				gotLapsed = append(gotLapsed, show(m))
			}
			if !slices.Equal(gotLapsed, lapsed) {
				t.Errorf("%+v: lapsed\n got %v\nwant %v", c, gotLapsed, lapsed)
			}
			if len(got.IDs) == 0 && len(want.IDs) == 0 {
				got.IDs, want.IDs = nil, nil
			}
			got.Lapsed = nil
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%+v: listing\n got %+v\nwant %+v", c, got, want)
			}
		}
	})
}
