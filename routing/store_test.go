package routing_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
	"helpline/routing"
)

// The Store contract suite: every test here runs against MemoryStore and
// PostgresStore alike, so that the single-instance server and a cluster on
// PostgreSQL route the same way.

// base is a fixed instant for presence times; tests never read the clock for
// them. Whole seconds, so PostgreSQL's microsecond timestamps keep it exactly.
var base = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func minute(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

// storeEnv is one routing store with the chat store it shares state with.
type storeEnv struct {
	routing.Store
	chat chat.Store
	// peer is the store a second server instance would use: on PostgreSQL a
	// store on its own pool over the same schema; in memory, where no other
	// instance can share the state, the same store called a second time.
	peer routing.Store
	// seesConversations is false for MemoryStore: it has no access to the
	// chat store, so it cannot refuse offers or passes for conversations that
	// do not exist or no longer wait. The router only offers conversations it
	// has just read as waiting, so this matters only for a conversation that
	// is ended or assigned between that read and PutOffer.
	seesConversations bool
}

var storeEnvs = []struct {
	name string
	open func(t *testing.T) storeEnv
}{
	{"memory", func(t *testing.T) storeEnv {
		s := routing.NewMemoryStore()
		return storeEnv{Store: s, chat: chat.NewMemoryStore(nil), peer: s}
	}},
	{"postgres", func(t *testing.T) storeEnv {
		pool, url := migrationstest.MustOpen(t)
		return storeEnv{
			Store:             routing.NewPostgresStore(pool),
			chat:              chat.NewPostgresStore(pool, mustSealer(t), nil),
			peer:              routing.NewPostgresStore(migrationstest.MustPool(t, url)),
			seesConversations: true,
		}
	}},
}

func forEachStore(t *testing.T, test func(t *testing.T, e storeEnv)) {
	for _, se := range storeEnvs {
		t.Run(se.name, func(t *testing.T) {
			t.Parallel()
			test(t, se.open(t))
		})
	}
}

func mustSealer(tb testing.TB) *chat.Sealer {
	tb.Helper()
	s, err := chat.ParseKeys(chat.NewKey("k1"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// conversation creates a conversation in the chat store and brings it to
// status (waiting, active or ended).
func conversation(t *testing.T, e storeEnv, status chat.Status) string {
	t.Helper()
	ctx := context.Background()
	c, err := e.chat.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es", Region: "Madrid"})
	if err != nil {
		t.Fatal(err)
	}
	switch status {
	case chat.StatusWaiting:
	case chat.StatusActive:
		_, _, err = e.chat.Assign(ctx, c.ID, 900, "Otra", 5)
	case chat.StatusEnded:
		_, _, err = e.chat.End(ctx, c.ID, chat.EndedBySeeker)
	default:
		t.Fatalf("conversation in status %q", status)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func member(id int64, name string, status routing.Status, capacity, maxCapacity int, seen, idle time.Time) routing.Member {
	return routing.Member{
		Counselor:   routing.Counselor{ID: id, Status: status, Capacity: capacity, MaxCapacity: maxCapacity, IdleSince: idle},
		DisplayName: name, SeenAt: seen,
	}
}

// show renders a member for comparison: times in UTC and nil slices like
// empty ones, since PostgreSQL gives back local times and empty arrays.
func show(m routing.Member) string {
	return fmt.Sprintf("id=%d name=%q status=%s capacity=%d max=%d languages=%v audiences=%v seen=%s idle=%s misses=%d active=%d",
		m.ID, m.DisplayName, m.Status, m.Capacity, m.MaxCapacity, m.Languages, m.Audiences,
		m.SeenAt.UTC().Format(time.RFC3339Nano), m.IdleSince.UTC().Format(time.RFC3339Nano), m.Misses, m.Active)
}

func mustMember(t *testing.T, s routing.Store, id int64) routing.Member {
	t.Helper()
	m, ok, err := s.Member(context.Background(), id)
	if err != nil || !ok {
		t.Fatalf("Member(%d) = %v, %v; want a row", id, ok, err)
	}
	return m
}

func mustJoin(t *testing.T, s routing.Store, m routing.Member) {
	t.Helper()
	if err := s.Join(context.Background(), m); err != nil {
		t.Fatalf("Join(%d): %v", m.ID, err)
	}
}

func TestStoreJoin(t *testing.T) {
	ana := func(id int64) routing.Member {
		m := member(id, "Ana", routing.StatusAvailable, 2, 4, minute(0), minute(0))
		m.Languages, m.Audiences = []string{"es", "en"}, []chat.Audience{chat.AudienceSelf, chat.AudienceYoung}
		return m
	}
	// Each case uses its own staff id, so that one store serves them all.
	cases := []struct {
		name   string
		before func(t *testing.T, s routing.Store, id int64) // earlier presence, if any
		join   func(id int64) routing.Member
		want   func(id int64) routing.Member
	}{{
		name: "new row",
		join: ana,
		want: ana,
	}, {
		name: "new row: capacity above the maximum is cut to it",
		join: func(id int64) routing.Member { m := ana(id); m.Capacity = 9; return m },
		want: func(id int64) routing.Member { m := ana(id); m.Capacity = 4; return m },
	}, {
		name: "new row: capacity at least one",
		join: func(id int64) routing.Member { m := ana(id); m.Capacity = 0; return m },
		want: func(id int64) routing.Member { m := ana(id); m.Capacity = 1; return m },
	}, {
		// The router marks a counsellor not heard from for the grace time
		// offline (with SetMisses); connecting again starts a new shift.
		name: "offline counsellor comes back available with new idle time",
		before: func(t *testing.T, s routing.Store, id int64) {
			mustJoin(t, s, ana(id))
			if _, err := s.SetStatus(context.Background(), id, routing.StatusBreak, 3); err != nil {
				t.Fatal(err)
			}
			if err := s.SetMisses(context.Background(), id, 0, routing.StatusOffline); err != nil {
				t.Fatal(err)
			}
		},
		join: func(id int64) routing.Member {
			m := member(id, "Ana B.", routing.StatusAvailable, 1, 5, minute(60), minute(60))
			m.Languages = []string{"en"}
			return m
		},
		want: func(id int64) routing.Member {
			// Profile fields and times are new; the capacity chosen on the
			// shift (3) is kept, as it is within the new maximum.
			m := member(id, "Ana B.", routing.StatusAvailable, 3, 5, minute(60), minute(60))
			m.Languages = []string{"en"}
			return m
		},
	}, {
		// A second tab or a reload while on shift must not reset the
		// status, nor move the counsellor to the back of the idle order.
		name: "busy counsellor keeps status, idle time and misses; capacity within the new maximum",
		before: func(t *testing.T, s routing.Store, id int64) {
			mustJoin(t, s, ana(id))
			if _, err := s.SetStatus(context.Background(), id, routing.StatusAvailable, 3); err != nil {
				t.Fatal(err)
			}
			if err := s.SetMisses(context.Background(), id, 1, routing.StatusBusy); err != nil {
				t.Fatal(err)
			}
		},
		join: func(id int64) routing.Member {
			m := member(id, "Ana B.", routing.StatusAvailable, 2, 2, minute(30), minute(30))
			m.Languages, m.Audiences = []string{"fr"}, []chat.Audience{chat.AudienceOther}
			return m
		},
		want: func(id int64) routing.Member {
			m := member(id, "Ana B.", routing.StatusBusy, 2, 2, minute(30), minute(0))
			m.Languages, m.Audiences, m.Misses = []string{"fr"}, []chat.Audience{chat.AudienceOther}, 1
			return m
		},
	}, {
		name:   "available counsellor keeps idle time",
		before: func(t *testing.T, s routing.Store, id int64) { mustJoin(t, s, ana(id)) },
		join: func(id int64) routing.Member {
			m := ana(id)
			m.SeenAt, m.IdleSince = minute(5), minute(5)
			return m
		},
		want: func(id int64) routing.Member { m := ana(id); m.SeenAt = minute(5); return m },
	}}
	forEachStore(t, func(t *testing.T, e storeEnv) {
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				id := int64(i + 1)
				if tc.before != nil {
					tc.before(t, e, id)
				}
				mustJoin(t, e, tc.join(id))
				if got, want := show(mustMember(t, e, id)), show(tc.want(id)); got != want {
					t.Errorf("after Join:\n got %s\nwant %s", got, want)
				}
			})
		}
	})
}

func TestStoreSeenOnlyMovesForward(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		mustJoin(t, e, member(1, "Ana", routing.StatusAvailable, 1, 1, minute(0), minute(0)))
		mustJoin(t, e, member(2, "Bea", routing.StatusBusy, 1, 1, minute(10), minute(0)))
		steps := []struct {
			ids      []int64
			at       time.Time
			want1    time.Time
			want2    time.Time
			describe string
		}{
			{[]int64{1, 2, 99}, minute(5), minute(5), minute(10), "forward for 1, backward for 2; 99 has no row"},
			{[]int64{1}, minute(3), minute(5), minute(10), "backward: unchanged"},
			{[]int64{2, 1}, minute(20), minute(20), minute(20), "forward for both"},
			{nil, minute(30), minute(20), minute(20), "no one"},
		}
		for _, st := range steps {
			if err := e.Seen(ctx, st.ids, st.at); err != nil {
				t.Fatalf("Seen(%v, %v) (%s): %v", st.ids, st.at, st.describe, err)
			}
			for id, want := range map[int64]time.Time{1: st.want1, 2: st.want2} {
				if got := mustMember(t, e, id).SeenAt; !got.Equal(want) {
					t.Errorf("after Seen(%v, %v) (%s): %d seen at %v, want %v", st.ids, st.at, st.describe, id, got, want)
				}
			}
		}
		if _, ok, err := e.Member(ctx, 99); ok || err != nil {
			t.Errorf("Seen created a row for 99: %v, %v", ok, err)
		}
		// Seen changes nothing but the time.
		if got, want := show(mustMember(t, e, 2)), show(member(2, "Bea", routing.StatusBusy, 1, 1, minute(20), minute(0))); got != want {
			t.Errorf("after Seen:\n got %s\nwant %s", got, want)
		}
	})
}

func TestStoreSetStatus(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		// Each case starts from a fresh row: capacity 2 of at most 4, one miss.
		cases := []struct {
			status       routing.Status
			capacity     int
			wantCapacity int
			wantMisses   int
		}{
			{routing.StatusBusy, 0, 2, 1},      // capacity 0: unchanged
			{routing.StatusBreak, 3, 3, 1},     // a new capacity within the maximum
			{routing.StatusBusy, 9, 4, 1},      // cut to the maximum
			{routing.StatusAvailable, 0, 2, 0}, // back to available: misses start again
			{routing.StatusAvailable, 4, 4, 0},
			{routing.StatusOffline, 1, 1, 1},
		}
		for i, tc := range cases {
			id := int64(i + 1)
			mustJoin(t, e, member(id, "Ana", routing.StatusAvailable, 2, 4, minute(0), minute(0)))
			if err := e.SetMisses(ctx, id, 1, routing.StatusAvailable); err != nil {
				t.Fatal(err)
			}
			got, err := e.SetStatus(ctx, id, tc.status, tc.capacity)
			if err != nil {
				t.Fatalf("SetStatus(%d, %s, %d): %v", id, tc.status, tc.capacity, err)
			}
			want := member(id, "Ana", tc.status, tc.wantCapacity, 4, minute(0), minute(0))
			want.Misses = tc.wantMisses
			if show(got) != show(want) {
				t.Errorf("SetStatus(%d, %s, %d) returned\n got %s\nwant %s", id, tc.status, tc.capacity, show(got), show(want))
			}
			if stored := mustMember(t, e, id); show(stored) != show(got) {
				t.Errorf("SetStatus(%d, %s, %d) stored\n%s\nbut returned\n%s", id, tc.status, tc.capacity, show(stored), show(got))
			}
		}

		// Someone with no presence row (an admin, or not connected yet) cannot
		// take conversations, and asking does not create a row.
		if m, err := e.SetStatus(ctx, 99, routing.StatusAvailable, 2); chat.ErrorCode(err) != chat.CodeConflict {
			t.Errorf("SetStatus(unknown) = %+v, %v; want a conflict", m, err)
		}
		if _, ok, err := e.Member(ctx, 99); ok || err != nil {
			t.Errorf("SetStatus(unknown) created a row: %v, %v", ok, err)
		}
	})
}

func TestStoreSetMissesAndAssigned(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		mustJoin(t, e, member(1, "Ana", routing.StatusAvailable, 2, 4, minute(0), minute(0)))
		check := func(step string, want routing.Member) {
			t.Helper()
			if got := mustMember(t, e, 1); show(got) != show(want) {
				t.Errorf("after %s:\n got %s\nwant %s", step, show(got), show(want))
			}
		}

		if err := e.SetMisses(ctx, 1, 1, routing.StatusAvailable); err != nil {
			t.Fatal(err)
		}
		want := member(1, "Ana", routing.StatusAvailable, 2, 4, minute(0), minute(0))
		want.Misses = 1
		check("SetMisses(1, available)", want)

		// A second miss in a row sets the counsellor to busy (see AfterMiss).
		if err := e.SetMisses(ctx, 1, 0, routing.StatusBusy); err != nil {
			t.Fatal(err)
		}
		want.Status, want.Misses = routing.StatusBusy, 0
		check("SetMisses(0, busy)", want)

		if err := e.SetMisses(ctx, 1, 1, routing.StatusBusy); err != nil {
			t.Fatal(err)
		}
		// Taking a conversation resets misses and restarts the idle clock,
		// and leaves the status alone.
		if err := e.Assigned(ctx, 1, minute(7)); err != nil {
			t.Fatal(err)
		}
		want.Misses, want.IdleSince = 0, minute(7)
		check("Assigned", want)

		// Both are no-ops for someone without a row (they left meanwhile).
		if err := e.SetMisses(ctx, 99, 1, routing.StatusBusy); err != nil {
			t.Errorf("SetMisses(unknown): %v", err)
		}
		if err := e.Assigned(ctx, 99, minute(8)); err != nil {
			t.Errorf("Assigned(unknown): %v", err)
		}
		if _, ok, err := e.Member(ctx, 99); ok || err != nil {
			t.Errorf("a row appeared for 99: %v, %v", ok, err)
		}
	})
}

func TestStoreMembers(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		if ms, err := e.Members(ctx); err != nil || len(ms) != 0 {
			t.Fatalf("Members of an empty store = %v, %v", ms, err)
		}
		if m, ok, err := e.Member(ctx, 1); ok || err != nil {
			t.Fatalf("Member(1) of an empty store = %+v, %v, %v", m, ok, err)
		}
		joined := map[int64]routing.Member{}
		for _, id := range []int64{30, 10, 20} { // not in id order
			m := member(id, fmt.Sprint("C", id), routing.StatusAvailable, 1, 2, minute(int(id)), minute(0))
			m.Languages = []string{"es"}
			mustJoin(t, e, m)
			joined[id] = m
		}
		ms, err := e.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, m := range ms {
			ids = append(ids, m.ID)
			if show(m) != show(joined[m.ID]) {
				t.Errorf("Members row\n got %s\nwant %s", show(m), show(joined[m.ID]))
			}
		}
		if !slices.Equal(ids, []int64{10, 20, 30}) {
			t.Errorf("Members ids = %v, want ordered by staff id [10 20 30]", ids)
		}
		if m := mustMember(t, e, 20); show(m) != show(joined[20]) {
			t.Errorf("Member(20)\n got %s\nwant %s", show(m), show(joined[20]))
		}
		if m, ok, err := e.Member(ctx, 15); ok || err != nil {
			t.Errorf("Member(15) = %+v, %v, %v; want not found", m, ok, err)
		}
	})
}

// OnShift counts members on shift (available, busy, on a break, not
// offline) heard from at or after the given time.
func TestStoreOnShift(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		for _, m := range []routing.Member{
			member(1, "A", routing.StatusAvailable, 1, 2, minute(10), minute(0)),
			member(2, "B", routing.StatusAvailable, 1, 2, minute(5), minute(0)),
			member(3, "C", routing.StatusAvailable, 1, 2, minute(10), minute(0)),
			member(4, "D", routing.StatusAvailable, 1, 2, minute(10), minute(0)),
		} {
			mustJoin(t, e, m)
		}
		if _, err := e.SetStatus(ctx, 3, routing.StatusBreak, 0); err != nil {
			t.Fatal(err)
		}
		if err := e.SetMisses(ctx, 4, 0, routing.StatusOffline); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			since time.Time
			want  int
		}{
			{minute(0), 3},  // 1, 2 and 3 (on a break is on shift); 4 is offline
			{minute(5), 3},  // seen exactly then counts
			{minute(6), 2},  // 2 not heard from since
			{minute(11), 0}, // no one since
		} {
			if n, err := e.OnShift(ctx, c.since); err != nil || n != c.want {
				t.Errorf("OnShift(since minute %v) = %d, %v; want %d", c.since.Sub(base), n, err, c.want)
			}
		}
	})
}

// offersOf returns the store's offers sorted by conversation, as the
// interface promises no order.
func offersOf(t *testing.T, s routing.Store) []routing.Offer {
	t.Helper()
	os, err := s.Offers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(os, func(a, b routing.Offer) int { return strings.Compare(a.ConversationID, b.ConversationID) })
	return os
}

// showOffers renders offers for comparison. LanguageFallback is left out:
// PostgresStore does not keep it (the router sends it to the counsellor from
// the match, never from a stored offer), so it comes back false there.
func showOffers(os []routing.Offer) string {
	var b strings.Builder
	for _, o := range os {
		fmt.Fprintf(&b, "[%s to %d until %s]", o.ConversationID, o.CounselorID, o.Expires.UTC().Format(time.RFC3339Nano))
	}
	return b.String()
}

func offer(conversationID string, counselorID int64) routing.Offer {
	return routing.Offer{ConversationID: conversationID, CounselorID: counselorID, Expires: base.Add(30 * time.Second)}
}

func TestStorePutOffer(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		first, second := conversation(t, e, chat.StatusWaiting), conversation(t, e, chat.StatusWaiting)
		cases := []struct {
			name string
			o    routing.Offer
			want bool
		}{
			{"waiting conversation", offer(first, 1), true},
			{"one offer per conversation", offer(first, 2), false},
			{"same offer again", offer(first, 1), false},
			{"a counsellor may hold offers for two conversations", offer(second, 1), true},
			// MemoryStore cannot tell (see seesConversations).
			{"assigned meanwhile", offer(conversation(t, e, chat.StatusActive), 3), !e.seesConversations},
			{"ended meanwhile", offer(conversation(t, e, chat.StatusEnded), 3), !e.seesConversations},
			{"no such conversation", offer(chat.NewID(), 3), !e.seesConversations},
		}
		var want []routing.Offer
		for _, tc := range cases {
			ok, err := e.PutOffer(ctx, tc.o)
			if err != nil || ok != tc.want {
				t.Errorf("PutOffer(%+v) (%s) = %v, %v; want %v", tc.o, tc.name, ok, err, tc.want)
			}
			if tc.want {
				want = append(want, tc.o)
			}
		}
		slices.SortFunc(want, func(a, b routing.Offer) int { return strings.Compare(a.ConversationID, b.ConversationID) })
		if got := offersOf(t, e); showOffers(got) != showOffers(want) {
			t.Errorf("Offers =\n %s\nwant\n %s", showOffers(got), showOffers(want))
		}
	})
}

func TestStorePutOfferConcurrent(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		// Two instances offering the same conversation at once: one wins.
		id := conversation(t, e, chat.StatusWaiting)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for c := int64(1); c <= 8; c++ {
			wg.Go(func() {
				ok, err := e.PutOffer(context.Background(), offer(id, c))
				if err != nil {
					t.Errorf("PutOffer to %d: %v", c, err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Errorf("%d concurrent PutOffer calls succeeded, want 1", n)
		}
		if got := offersOf(t, e); len(got) != 1 {
			t.Errorf("Offers = %s, want one", showOffers(got))
		}
	})
}

func TestStoreTakeOffer(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		offered, other := conversation(t, e, chat.StatusWaiting), conversation(t, e, chat.StatusWaiting)
		for _, o := range []routing.Offer{offer(offered, 1), offer(other, 2)} {
			if ok, err := e.PutOffer(ctx, o); !ok || err != nil {
				t.Fatalf("PutOffer(%+v) = %v, %v", o, ok, err)
			}
		}

		steps := []struct {
			name        string
			conv        string
			counselorID int64
			want        bool
		}{
			{"someone it is not offered to", offered, 2, false},
			{"the counsellor it is offered to", offered, 1, true},
			{"the same counsellor again", offered, 1, false},
			{"no such conversation", chat.NewID(), 1, false},
			{"not an id", "not-a-uuid", 1, false},
		}
		for _, st := range steps {
			// Offered answers, without taking, what TakeOffer is about to find.
			if ok, err := e.Offered(ctx, st.conv, st.counselorID); err != nil || ok != st.want {
				t.Errorf("Offered(%s, %d) (%s) = %v, %v; want %v", st.conv, st.counselorID, st.name, ok, err, st.want)
			}
			o, ok, err := e.TakeOffer(ctx, st.conv, st.counselorID)
			if err != nil || ok != st.want {
				t.Errorf("TakeOffer(%s, %d) (%s) = %v, %v; want %v", st.conv, st.counselorID, st.name, ok, err, st.want)
				continue
			}
			if st.want && showOffers([]routing.Offer{o}) != showOffers([]routing.Offer{offer(st.conv, st.counselorID)}) {
				t.Errorf("TakeOffer(%s, %d) returned %+v", st.conv, st.counselorID, o)
			}
		}
		if got, want := showOffers(offersOf(t, e)), showOffers([]routing.Offer{offer(other, 2)}); got != want {
			t.Errorf("Offers after taking one = %s, want %s", got, want)
		}
		// Once taken, the conversation can be offered again (to someone else,
		// after a decline or an expiry).
		if ok, err := e.PutOffer(ctx, offer(offered, 3)); !ok || err != nil {
			t.Errorf("PutOffer after TakeOffer = %v, %v; want true", ok, err)
		}
	})
}

func TestStoreTakeOfferConcurrent(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		// The counsellor accepting while the leader expires the same offer:
		// exactly one of them gets it.
		id := conversation(t, e, chat.StatusWaiting)
		if ok, err := e.PutOffer(context.Background(), offer(id, 1)); !ok || err != nil {
			t.Fatalf("PutOffer = %v, %v", ok, err)
		}
		var takes atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, ok, err := e.TakeOffer(context.Background(), id, 1)
				if err != nil {
					t.Errorf("TakeOffer: %v", err)
				}
				if ok {
					takes.Add(1)
				}
			})
		}
		wg.Wait()
		if n := takes.Load(); n != 1 {
			t.Errorf("%d concurrent TakeOffer calls succeeded, want 1", n)
		}
	})
}

func TestStoreDeleteOffer(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		gone, kept := conversation(t, e, chat.StatusWaiting), conversation(t, e, chat.StatusWaiting)
		for _, o := range []routing.Offer{offer(gone, 1), offer(kept, 2)} {
			if ok, err := e.PutOffer(ctx, o); !ok || err != nil {
				t.Fatalf("PutOffer(%+v) = %v, %v", o, ok, err)
			}
		}
		// Deleting twice, or what was never offered, is not an error: the
		// router deletes offers for conversations assigned or ended meanwhile.
		for _, id := range []string{gone, gone, chat.NewID(), "not-a-uuid"} {
			if err := e.DeleteOffer(ctx, id); err != nil {
				t.Errorf("DeleteOffer(%q): %v", id, err)
			}
		}
		if got, want := showOffers(offersOf(t, e)), showOffers([]routing.Offer{offer(kept, 2)}); got != want {
			t.Errorf("Offers after DeleteOffer = %s, want %s", got, want)
		}
		if _, ok, err := e.TakeOffer(ctx, gone, 1); ok || err != nil {
			t.Errorf("TakeOffer of a deleted offer = %v, %v", ok, err)
		}
		if ok, err := e.PutOffer(ctx, offer(gone, 3)); !ok || err != nil {
			t.Errorf("PutOffer after DeleteOffer = %v, %v; want true", ok, err)
		}
	})
}

func TestStorePasses(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		ctx := context.Background()
		if ps, err := e.Passes(ctx); err != nil || len(ps) != 0 {
			t.Fatalf("Passes of an empty store = %v, %v", ps, err)
		}
		a, b := conversation(t, e, chat.StatusWaiting), conversation(t, e, chat.StatusWaiting)
		unknown := chat.NewID()
		for _, p := range []struct {
			conv string
			id   int64
		}{{a, 1}, {a, 2}, {a, 1}, {b, 3}, {unknown, 4}} { // {a, 1} twice: no error, no change
			if err := e.AddPass(ctx, p.conv, p.id); err != nil {
				t.Fatalf("AddPass(%s, %d): %v", p.conv, p.id, err)
			}
		}
		want := map[string]map[int64]bool{a: {1: true, 2: true}, b: {3: true}}
		if !e.seesConversations {
			// MemoryStore keeps passes for conversations it cannot check;
			// PostgreSQL drops them (passes reference conversations).
			want[unknown] = map[int64]bool{4: true}
		}
		checkPasses := func(step string) {
			t.Helper()
			got, err := e.Passes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) { // fmt sorts map keys
				t.Errorf("Passes after %s = %v, want %v", step, got, want)
			}
		}
		checkPasses("AddPass")

		// The result is a copy: the router annotates it freely.
		got, _ := e.Passes(ctx)
		got[a][9] = true
		delete(got, b)
		checkPasses("changing a result")

		// A new round: the conversation may be offered to everyone again.
		for _, id := range []string{a, a, chat.NewID(), "not-a-uuid"} {
			if err := e.ClearPasses(ctx, id); err != nil {
				t.Errorf("ClearPasses(%q): %v", id, err)
			}
		}
		delete(want, a)
		checkPasses("ClearPasses")
		if err := e.AddPass(ctx, a, 2); err != nil {
			t.Fatal(err)
		}
		want[a] = map[int64]bool{2: true}
		checkPasses("a pass in the new round")
	})
}

// leaders records who runs a Lead fn, and whether two ever ran at once.
type leaders struct {
	running atomic.Int32
	overlap atomic.Bool
}

// fn returns a Lead fn that reports on started each time it starts leading
// and then leads until hold returns.
func (l *leaders) fn(started chan<- struct{}, hold func(ctx context.Context)) func(context.Context) {
	return func(ctx context.Context) {
		if l.running.Add(1) > 1 {
			l.overlap.Store(true)
		}
		defer l.running.Add(-1)
		select {
		case started <- struct{}{}:
		default:
		}
		hold(ctx)
	}
}

// PostgresStore tries to become leader every 2 s, so a handover takes up to
// that long; this bounds it with room for a slow machine.
const handover = 8 * time.Second

// notLeading is how long a waiting caller is watched for not leading: longer
// than one attempt at the lock takes, as the first one is made at once.
const notLeading = 300 * time.Millisecond

func waitLeads(t *testing.T, who string, started <-chan struct{}, within time.Duration) {
	t.Helper()
	select {
	case <-started:
	case <-time.After(within):
		t.Fatalf("%s did not become leader within %v", who, within)
	}
}

// runLead calls Lead in the background; the returned channel gets its result.
func runLead(ctx context.Context, s routing.Store, fn func(context.Context)) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Lead(ctx, fn) }()
	return done
}

func waitReturns(t *testing.T, who string, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: Lead returned %v", who, err)
		}
	case <-time.After(handover):
		t.Fatalf("%s: Lead did not return within %v of its ctx ending", who, handover)
	}
}

// TestStoreLeadPassesOnWhenCtxEnds: while one caller leads the other waits,
// and it takes over once the leader's ctx ends. On PostgreSQL the two callers
// are two stores on separate pools, as two instances would be.
func TestStoreLeadPassesOnWhenCtxEnds(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		var l leaders
		untilDone := func(ctx context.Context) { <-ctx.Done() }

		ctxA, cancelA := context.WithCancel(context.Background())
		defer cancelA()
		startedA := make(chan struct{}, 1)
		var sawCancel atomic.Bool
		doneA := runLead(ctxA, e, l.fn(startedA, func(ctx context.Context) {
			<-ctx.Done()
			sawCancel.Store(true)
		}))
		waitLeads(t, "first caller", startedA, handover)

		ctxB, cancelB := context.WithCancel(context.Background())
		defer cancelB()
		startedB := make(chan struct{}, 1)
		doneB := runLead(ctxB, e.peer, l.fn(startedB, untilDone))
		select {
		case <-startedB:
			t.Fatal("second caller leads while the first still does")
		case err := <-doneB:
			t.Fatalf("second caller's Lead returned (%v) before its ctx ended", err)
		case <-time.After(notLeading):
		}

		cancelA()
		waitReturns(t, "first caller", doneA)
		if !sawCancel.Load() {
			t.Error("the leader's fn did not see its ctx end")
		}
		waitLeads(t, "second caller", startedB, handover)
		cancelB()
		waitReturns(t, "second caller", doneB)
		if l.overlap.Load() {
			t.Error("two callers led at once")
		}
	})
}

// TestStoreLeadWaitsForFnToReturn: a leader whose fn returns on its own
// (its ctx still live) lets the waiting caller lead.
func TestStoreLeadWaitsForFnToReturn(t *testing.T) {
	forEachStore(t, func(t *testing.T, e storeEnv) {
		var l leaders
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()

		// The first caller leads until released; should it become leader
		// again afterwards (PostgresStore keeps trying while ctx is live),
		// it steps down at once, so that the other caller gets its turn.
		release := make(chan struct{})
		releaseA := sync.OnceFunc(func() { close(release) })
		defer releaseA()
		startedA := make(chan struct{}, 1)
		doneA := runLead(ctx, e, l.fn(startedA, func(context.Context) { <-release }))
		waitLeads(t, "first caller", startedA, handover)

		startedB := make(chan struct{}, 1)
		ctxB, cancelB := context.WithCancel(ctx)
		defer cancelB()
		doneB := runLead(ctxB, e.peer, l.fn(startedB, func(ctx context.Context) { <-ctx.Done() }))
		select {
		case <-startedB:
			t.Fatal("second caller leads while the first's fn still runs")
		case <-time.After(notLeading):
		}

		releaseA()
		waitLeads(t, "second caller", startedB, handover)
		cancel()
		waitReturns(t, "first caller", doneA)
		waitReturns(t, "second caller", doneB)
		if l.overlap.Load() {
			t.Error("two callers led at once")
		}
	})
}
