package routing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/routing"
)

// The router's runtime duties, driven round by round with a fake clock on
// the memory stores.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type noStaff struct{}

func (noStaff) RecordRead(context.Context, int64, string) error { return nil }
func (noStaff) RecordRefused(context.Context, int64, string)    {}
func (noStaff) CheckSession(context.Context, chat.Principal) (chat.StaffInfo, error) {
	return chat.StaffInfo{}, chat.Errorf(chat.CodeUnauthorized, "no")
}

type harness struct {
	clock  *clock
	chat   *chat.MemoryStore
	router *routing.Router
	// accept is the chat service's Accept: the router is tested with the
	// real service acting on its decisions, wired as the server wires it.
	accept func(context.Context, chat.Principal, chat.StaffInfo, string) (chat.Conversation, error)
	mu     sync.Mutex
	events []chat.Event
}

func newHarness(t *testing.T, cfg routing.Config) *harness {
	t.Helper()
	return newHarnessSeeing(t, cfg, func(s chat.Store) chat.Store { return s })
}

// newHarnessSeeing lets the router see the chat store through view, e.g.
// one that answers some reads as they were a moment earlier.
func newHarnessSeeing(t *testing.T, cfg routing.Config, view func(chat.Store) chat.Store) *harness {
	t.Helper()
	h := &harness{clock: &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}}
	h.chat = chat.NewMemoryStore(h.clock.Now)
	cfg.Now = h.clock.Now
	h.router = routing.New(cfg, routing.NewMemoryStore(), view(h.chat))
	broker := chat.NewMemoryBroker()
	tokens, _ := chat.NewTokens(chat.NewKey("t"), h.clock.Now)
	svc := chat.NewService(chat.Config{Store: h.chat, Broker: broker, Router: h.router, Tokens: tokens, Staff: noStaff{}, Now: h.clock.Now})
	h.router.SetChat(svc)
	h.accept = svc.Accept
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ready := make(chan struct{})
	go broker.Run(ctx, func(e chat.Event) {
		h.mu.Lock()
		h.events = append(h.events, e)
		h.mu.Unlock()
	})
	go func() {
		// Publish until the subscriber is listening, so no event is missed.
		for {
			broker.Publish(ctx, chat.Event{Type: "ping"})
			h.mu.Lock()
			n := len(h.events)
			h.mu.Unlock()
			if n > 0 {
				close(ready)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	<-ready
	return h
}

func (h *harness) take(typ chat.EventType) []chat.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out, rest []chat.Event
	for _, e := range h.events {
		if e.Type == typ {
			out = append(out, e)
		} else {
			rest = append(rest, e)
		}
	}
	h.events = rest
	return out
}

func (h *harness) round(t *testing.T) {
	t.Helper()
	if err := h.router.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) counselor(id int64, audiences ...string) chat.StaffInfo {
	info := chat.StaffInfo{ID: id, DisplayName: "C", Role: chat.RoleCounselor, Capacity: 2, MaxCapacity: 3, Audiences: audiences}
	h.router.Connected(context.Background(), info)
	return info
}

func baseConfig() routing.Config {
	always, _ := routing.ParseHours("always", "", "")
	return routing.Config{Mode: routing.ModeOffer, OfferTimeout: 30 * time.Second, Misses: routing.MissPolicy{MaxMisses: 2},
		CounselorGrace: time.Minute, SeekerGrace: 10 * time.Minute, Hours: always, RequireCounselor: true, Heartbeat: 10 * time.Second}
}

func TestOfferTimesOutAndRepeatedMissesSetBusy(t *testing.T) {
	h := newHarness(t, baseConfig())
	ctx := context.Background()
	h.counselor(1)
	c, _ := h.chat.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf})
	h.round(t)
	offers := h.take(chat.EventOffer)
	if len(offers) != 1 || offers[0].StaffID != 1 || offers[0].ConversationID != c.ID || !offers[0].Until.Equal(h.clock.Now().Add(30*time.Second)) {
		t.Fatalf("offers = %+v", offers)
	}
	h.clock.Advance(29 * time.Second)
	h.router.Heartbeat(ctx, []int64{1})
	h.round(t)
	if got := h.take(chat.EventOffer); len(got) != 0 {
		t.Fatalf("re-offered before the time-out: %+v", got)
	}
	// First miss: the only counsellor gets it again in a new round.
	h.clock.Advance(2 * time.Second)
	h.router.Heartbeat(ctx, []int64{1})
	h.round(t)
	if got := h.take(chat.EventOffer); len(got) != 1 || got[0].StaffID != 1 {
		t.Fatalf("after one miss: %+v", got)
	}
	if staff := h.take(chat.EventStaff); len(staff) != 0 {
		t.Fatalf("busy after one miss: %+v", staff)
	}
	// Second miss in a row: set to busy, told why, and no more offers.
	h.clock.Advance(31 * time.Second)
	h.router.Heartbeat(ctx, []int64{1})
	h.round(t)
	staff := h.take(chat.EventStaff)
	if len(staff) != 1 || staff[0].Member.Status != "busy" || staff[0].Reason != "missed_offers" {
		t.Fatalf("after two misses: %+v", staff)
	}
	h.take(chat.EventOffer)
	h.round(t)
	if got := h.take(chat.EventOffer); len(got) != 0 {
		t.Fatalf("a busy counsellor got an offer: %+v", got)
	}
}

func TestOffersFollowTrainingAndCapacity(t *testing.T) {
	h := newHarness(t, baseConfig())
	ctx := context.Background()
	h.counselor(1)          // adults only
	h.counselor(2, "young") // young people only
	young, _ := h.chat.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceYoung})
	h.round(t)
	offers := h.take(chat.EventOffer)
	if len(offers) != 1 || offers[0].StaffID != 2 || offers[0].ConversationID != young.ID {
		t.Fatalf("young person offered as %+v", offers)
	}
	// Counsellor 1 cannot accept it even by asking.
	if _, err := h.router.Accepting(ctx, chat.StaffInfo{ID: 1, Capacity: 2, MaxCapacity: 3}, young); chat.ErrorCode(err) != chat.CodeConflict {
		t.Fatalf("untrained accept: %v", err)
	}
	capacity, err := h.router.Accepting(ctx, chat.StaffInfo{ID: 2, Capacity: 2, MaxCapacity: 3, Audiences: []string{"young"}}, young)
	if err != nil || capacity != 2 {
		t.Fatalf("Accepting = %d, %v", capacity, err)
	}
}

func TestGraceTimesReturnAndRemoveConversations(t *testing.T) {
	h := newHarness(t, baseConfig())
	ctx := context.Background()
	h.counselor(1)
	held, _ := h.chat.CreateConversation(ctx, chat.NewConversation{})
	if _, _, err := h.chat.Assign(ctx, held.ID, 1, "C", 2); err != nil {
		t.Fatal(err)
	}
	gone, _ := h.chat.CreateConversation(ctx, chat.NewConversation{})
	h.router.Disconnected(ctx, 1)

	h.clock.Advance(59 * time.Second)
	h.chat.TouchSeekers(ctx, []string{held.ID}, h.clock.Now())
	h.round(t)
	if c, _ := h.chat.Conversation(ctx, held.ID); c.Status != chat.StatusActive {
		t.Fatalf("returned before the grace time: %+v", c.Status)
	}
	h.clock.Advance(2 * time.Second)
	h.round(t)
	c, _ := h.chat.Conversation(ctx, held.ID)
	if c.Status != chat.StatusWaiting || c.Priority != routing.PriorityReturned {
		t.Fatalf("after the grace time: %+v", c)
	}
	// The seeker of "gone" was last seen at arrival; ten minutes later they are removed.
	h.clock.Advance(10 * time.Minute)
	h.chat.TouchSeekers(ctx, []string{held.ID}, h.clock.Now())
	h.round(t)
	if c, _ := h.chat.Conversation(ctx, gone.ID); c.Status != chat.StatusEnded || c.EndedBy != chat.EndedByAbandoned {
		t.Fatalf("abandoned conversation = %+v", c)
	}
	if c, _ := h.chat.Conversation(ctx, held.ID); c.Status != chat.StatusWaiting {
		t.Fatalf("a seeker still connected was removed: %+v", c)
	}
}

func TestAdmitFollowsHoursQueueAndShift(t *testing.T) {
	cfg := baseConfig()
	hours, err := routing.ParseHours("mon-fri 09:00-17:00", "Europe/Madrid", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hours, cfg.MaxQueue = hours, 1
	h := newHarness(t, cfg) // Friday 2026-11-27 10:00 UTC = 11:00 in Madrid
	ctx := context.Background()
	closedFor := func() string {
		err := h.router.Admit(ctx)
		if err == nil {
			return ""
		}
		return err.(*chat.ClosedError).Reason
	}
	if got := closedFor(); got != "no_counselor" {
		t.Fatalf("no one on shift: %q", got)
	}
	h.counselor(1)
	if got := closedFor(); got != "" {
		t.Fatalf("open with a counsellor: %q", got)
	}
	h.chat.CreateConversation(ctx, chat.NewConversation{})
	if got := closedFor(); got != "queue_full" {
		t.Fatalf("queue at its maximum: %q", got)
	}
	h.clock.Advance(7 * time.Hour) // 18:00 in Madrid
	h.router.Heartbeat(ctx, []int64{1})
	err = h.router.Admit(ctx)
	closed, _ := err.(*chat.ClosedError)
	if closed == nil || closed.Reason != "hours" || closed.NextOpen.Weekday() != time.Monday {
		t.Fatalf("after hours: %+v", err)
	}
}

// An accept that cannot be stored (the counsellor filled up meanwhile) lets
// the offer go at once: the next round offers the conversation to someone
// else, rather than after the offer times out.
func TestAcceptRefusedAtCapacityFreesTheOffer(t *testing.T) {
	h := newHarness(t, baseConfig())
	ctx := context.Background()
	first, _ := h.counselor(1), h.counselor(2)
	c, _ := h.chat.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf})
	h.round(t)
	offers := h.take(chat.EventOffer)
	if len(offers) != 1 || offers[0].StaffID != 1 {
		t.Fatalf("offers = %+v", offers)
	}
	// Counsellor 1 fills up by other means before accepting.
	for range first.Capacity {
		other, _ := h.chat.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf})
		if _, _, err := h.chat.Assign(ctx, other.ID, 1, "C", first.Capacity); err != nil {
			t.Fatal(err)
		}
	}
	_, err := h.accept(ctx, chat.Principal{Role: chat.RoleCounselor, StaffID: 1}, first, c.ID)
	if chat.ErrorCode(err) != chat.CodeConflict {
		t.Fatalf("accept at capacity: %v", err)
	}
	h.round(t) // no time has passed: the offer did not time out
	offers = h.take(chat.EventOffer)
	if len(offers) != 1 || offers[0].StaffID != 2 || offers[0].ConversationID != c.ID {
		t.Fatalf("after the refused accept, offers = %+v; want it offered to counsellor 2 at once", offers)
	}
}

// staleCounts answers ActiveCounts as they were when frozen: a round whose
// count was read just before an assignment was committed.
type staleCounts struct {
	chat.Store
	frozen map[int64]int
}

func (s *staleCounts) ActiveCounts(ctx context.Context) (map[int64]int, error) {
	if s.frozen != nil {
		return s.frozen, nil
	}
	return s.Store.ActiveCounts(ctx)
}

// A round that reads the active counts just before an accepted offer's
// assignment is stored, and the waiting list just after, must not take the
// counsellor for free: their offer still holds them for that round.
func TestAssignmentBetweenReadsDoesNotFreeTheCounsellor(t *testing.T) {
	var view *staleCounts
	h := newHarnessSeeing(t, baseConfig(), func(s chat.Store) chat.Store {
		view = &staleCounts{Store: s}
		return view
	})
	ctx := context.Background()
	info := chat.StaffInfo{ID: 1, DisplayName: "C", Role: chat.RoleCounselor, Capacity: 1, MaxCapacity: 1}
	h.router.Connected(ctx, info)
	a, _ := h.chat.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf})
	h.clock.Advance(time.Second)
	h.chat.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf})
	h.round(t)
	if offers := h.take(chat.EventOffer); len(offers) != 1 || offers[0].ConversationID != a.ID {
		t.Fatalf("offers = %+v", offers)
	}
	// The accept is being stored: the assignment is committed, the offer
	// not yet removed, and the next round's count predates the commit.
	view.frozen = map[int64]int{}
	if _, _, err := h.chat.Assign(ctx, a.ID, 1, "C", 1); err != nil {
		t.Fatal(err)
	}
	h.round(t)
	if offers := h.take(chat.EventOffer); len(offers) != 0 {
		t.Fatalf("a full counsellor was offered another conversation: %+v", offers)
	}
}
