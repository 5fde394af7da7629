package oversight

import (
	"context"
	"sync"
	"testing"
	"time"

	"helpline/chat"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestRegistriesShareOneList: two instances' registries on one store give
// the same list; a staff member watching from two connections counts once
// and stays until both stop; the rows of an instance that stopped without
// tidying up stop counting after TTL; each change pushes the whole list.
func TestRegistriesShareOneList(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore(nil)
	clock := &fakeClock{t: time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	pushed := map[string][][]StaffRef{}
	newReg := func() *Registry {
		r := newRegistry(store, RegistryConfig{Interval: 10 * time.Second, Now: clock.now})
		r.push = func(_ context.Context, id string, list []StaffRef) {
			mu.Lock()
			pushed[id] = append(pushed[id], list)
			mu.Unlock()
		}
		return r
	}
	one, two := newReg(), newReg()
	conv := chat.NewID()
	sam := chat.StaffInfo{ID: 5, DisplayName: "Sam", Role: chat.RoleSupervisor}
	lu := chat.StaffInfo{ID: 6, DisplayName: "Lu", Role: chat.RoleAdmin}

	one.WatchStarted(sam, conv)
	one.WatchStarted(sam, conv) // a second tab
	one.sync(ctx)
	clock.add(time.Second)
	two.WatchStarted(lu, conv)
	two.sync(ctx)
	for name, r := range map[string]*Registry{"one": one, "two": two} {
		list, err := r.Watchers(ctx, conv)
		if err != nil || len(list) != 2 || list[0].Name != "Sam" || list[1].Name != "Lu" || list[1].Role != "admin" || list[0].ID != "5" {
			t.Fatalf("%s: Watchers = %+v %v", name, list, err)
		}
	}
	if got := pushed[conv]; len(got) != 2 || len(got[0]) != 1 || len(got[1]) != 2 {
		t.Fatalf("pushed %+v, want the list after each change", got)
	}
	one.WatchStopped(sam, conv) // one tab of two
	one.sync(ctx)
	if list, _ := two.Watchers(ctx, conv); len(list) != 2 {
		t.Fatalf("Sam's other tab still watches, but the list is %+v", list)
	}
	one.WatchStopped(sam, conv)
	one.sync(ctx)
	if list, _ := two.Watchers(ctx, conv); len(list) != 1 || list[0].Name != "Lu" {
		t.Fatalf("after Sam stopped: %+v", list)
	}
	// Instance two stops refreshing (it died): within TTL Lu still counts, after it not.
	clock.add(DefaultTTL - 2*time.Second)
	if list, _ := one.Watchers(ctx, conv); len(list) != 1 {
		t.Fatalf("within the TTL: %+v", list)
	}
	clock.add(3 * time.Second)
	if list, _ := one.Watchers(ctx, conv); len(list) != 0 {
		t.Fatalf("an instance that stopped still counts: %+v", list)
	}
	all, err := one.AllWatchers(ctx, []string{conv, "other"})
	if err != nil || all[conv] == nil || len(all[conv]) != 0 || all["other"] == nil {
		t.Fatalf("AllWatchers = %+v %v, want empty lists, not null", all, err)
	}
}
