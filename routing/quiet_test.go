package routing

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"helpline/chat"
)

// countingStore counts the reads a round or a place refresh makes.
type countingStore struct {
	Store
	members, passes atomic.Int64
}

func (s *countingStore) Members(ctx context.Context) ([]Member, error) {
	s.members.Add(1)
	return s.Store.Members(ctx)
}

func (s *countingStore) Passes(ctx context.Context) (map[string]map[int64]bool, error) {
	s.passes.Add(1)
	return s.Store.Passes(ctx)
}

type quietChat struct{ Chat }

func (quietChat) TeamChanged(context.Context) {}

func (quietChat) Offer(context.Context, int64, chat.Conversation, time.Time, bool) {}

// With nobody waiting, the queue refresher's Waits reads no roster, and a
// round with nothing offered reads neither the roster nor the passes, only
// the listing (Store.List: the listed members counted and those past their
// grace): on a busy shift with an empty queue these reads, every second
// and after every change, were most of what the server allocated (and,
// on PostgreSQL, queries for nothing). A round with someone waiting reads
// the roster once.
func TestNobodyWaitingReadsNoRosterForPlaces(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Store: NewMemoryStore()}
	chatStore := chat.NewMemoryStore(func() time.Time { return t0 })
	r := New(Config{Now: func() time.Time { return t0 }, CounselorGrace: time.Minute, Mode: ModeOffer}, store, chatStore)
	r.SetChat(quietChat{})
	for id := range int64(20) {
		if err := store.Join(ctx, Member{Counselor: counselor(id+1, "es"), SeenAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if w := r.Waits(ctx, nil); len(w) != 0 {
		t.Fatalf("Waits with nobody waiting: %v", w)
	}
	if n := store.members.Load(); n != 0 {
		t.Errorf("Waits with nobody waiting read the roster %d times, want 0", n)
	}
	if err := r.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if m, p := store.members.Load(), store.passes.Load(); m != 0 || p != 0 {
		t.Errorf("a round with nobody waiting read the roster %d times and the passes %d times, want 0 and 0", m, p)
	}
	if _, err := chatStore.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if m := store.members.Load(); m != 1 {
		t.Errorf("a round with someone waiting read the roster %d times, want 1", m)
	}
}

type teamChangeCounter struct {
	Chat
	changed int
}

func (c *teamChangeCounter) TeamChanged(context.Context) { c.changed++ }

// A counsellor not heard from drops out of the team as soon as a round
// sees it, long before the grace after which they go offline: instances
// read the team only when told it changed, so the round tells them.
func TestRoundTellsOfACounsellorDroppingOutOfTheTeam(t *testing.T) {
	ctx := context.Background()
	now := t0
	store := NewMemoryStore()
	r := New(Config{Now: func() time.Time { return now }, CounselorGrace: time.Hour, Heartbeat: 10 * time.Second, Mode: ModeOffer},
		store, chat.NewMemoryStore(func() time.Time { return now }))
	chat := &teamChangeCounter{}
	r.SetChat(chat)
	for id := range int64(3) {
		if err := store.Join(ctx, Member{Counselor: counselor(id+1, "es"), SeenAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if err := r.Round(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if chat.changed != 0 {
		t.Fatalf("%d team changes with nothing changed", chat.changed)
	}
	now = t0.Add(20 * time.Second)
	store.Seen(ctx, []int64{1, 2}, now) // 3 is not heard from again
	now = t0.Add(26 * time.Second)      // past the 25 s a counsellor stays listed unheard
	if team, _ := r.Team(ctx); len(team) != 2 {
		t.Fatalf("team of %d, want 2", len(team))
	}
	r.Round(ctx)
	r.Round(ctx)
	if chat.changed != 1 {
		t.Errorf("%d team changes as one counsellor dropped out, want 1", chat.changed)
	}
}
