package routing

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"helpline/chat"
)

// Modes of assignment.
const (
	ModeOffer = "offer" // the leader offers each conversation to one counsellor at a time
	ModePick  = "pick"  // counsellors pick from the queue themselves
)

// Config sets the router's rules.
type Config struct {
	Mode           string
	OfferTimeout   time.Duration
	Misses         MissPolicy
	CounselorGrace time.Duration // a counsellor gone this long loses their conversations to the queue
	SeekerGrace    time.Duration // a waiting seeker gone this long leaves the queue
	Hours          Hours
	MaxQueue       int // 0: no limit
	// RequireCounselor turns new arrivals to the alternatives when no
	// counsellor is on shift, rather than letting them wait for the next.
	RequireCounselor bool
	// Heartbeat is how often instances report who is connected. A counsellor
	// gets offers only if heard from within a few heartbeats, far less than
	// the grace before their conversations go back to the queue.
	Heartbeat time.Duration
	Now       chat.Clock
	Log       *slog.Logger
	// Paused, when set, names the skills whose offers are paused (the
	// switchboard); OnStatus, when set, hears status changes.
	Paused   Pauses
	OnStatus StatusHook
}

// Chat is what the router needs of the chat service: the two things it
// does to conversations, and the three things it tells people. Only this,
// so that routing depends on what it uses rather than on chat.Service.
type Chat interface {
	// Requeue returns a conversation whose counsellor is gone to the front
	// of the queue; Abandon ends a waiting conversation whose seeker left.
	// Both fail with chat.CodeConflict if the conversation moved on
	// meanwhile.
	Requeue(ctx context.Context, conversationID string, counselorID int64) error
	Abandon(ctx context.Context, conversationID string) error
	// Offer tells a counsellor, wherever they are connected, that c is
	// offered to them until the given time.
	Offer(ctx context.Context, staffID int64, c chat.Conversation, until time.Time, languageFallback bool)
	// StaffChanged tells a counsellor their status changed, and why;
	// TeamChanged tells every instance the team did.
	StaffChanged(ctx context.Context, m chat.TeamMember, reason string)
	TeamChanged(ctx context.Context)
}

// Router implements chat.Router on a Store. Every instance has one; the
// instance that wins Store.Lead also makes offers and sweeps (Run).
type Router struct {
	cfg   Config
	store Store
	chat  chat.Store
	svc   Chat
	est   Estimator
	wake  chan struct{}

	leading atomic.Bool
	// Who Team listed at the last round (leader only): see noticeOffShift.
	listed struct {
		n, idSum int64
		known    bool
	}
}

var _ chat.Router = (*Router)(nil)

// New returns a Router; SetChat must be called before it is used.
func New(cfg Config, store Store, chatStore chat.Store) *Router {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OfferTimeout == 0 {
		cfg.OfferTimeout = DefaultOfferTimeout
	}
	if cfg.Misses.MaxMisses == 0 {
		cfg.Misses = DefaultMissPolicy
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 10 * time.Second
	}
	return &Router{cfg: cfg, store: store, chat: chatStore, wake: make(chan struct{}, 1)}
}

// SetChat gives the router the chat service it acts through. It is a setter
// rather than an argument of New because the two hold each other: the chat
// service is built with its Router, and this Router acts through that
// service, so one of them must be given the other once both exist. Call it
// once, before the service takes connections and before Run; it is not safe
// to call while the router is in use.
func (r *Router) SetChat(c Chat) { r.svc = c }

func (r *Router) online(m Member, now time.Time, within time.Duration) bool {
	return m.Status != StatusOffline && now.Sub(m.SeenAt) <= within
}

func (r *Router) offerableFor() time.Duration {
	return min(r.cfg.Heartbeat*5/2, r.cfg.CounselorGrace)
}

// Admit implements chat.Router.
func (r *Router) Admit(ctx context.Context) error {
	now := r.cfg.Now()
	onShift := 1 // without RequireCounselor, arrivals wait for the next one on shift
	if r.cfg.RequireCounselor {
		var err error
		if onShift, err = r.store.OnShift(ctx, now.Add(-r.cfg.CounselorGrace)); err != nil {
			return err
		}
	}
	waiting := 0
	if r.cfg.MaxQueue > 0 {
		w, err := r.chat.Waiting(ctx)
		if err != nil {
			return err
		}
		waiting = len(w)
	}
	closed := Availability(r.cfg.Hours, now, waiting, r.cfg.MaxQueue, onShift)
	if closed == Accepting {
		return nil
	}
	e := &chat.ClosedError{Reason: string(closed)}
	if closed == ClosedHours {
		e.NextOpen, _ = r.cfg.Hours.NextOpen(now)
	}
	return e
}

// Accepting implements chat.Router.
func (r *Router) Accepting(ctx context.Context, staff chat.StaffInfo, c chat.Conversation) (int, error) {
	if c.Status != chat.StatusWaiting {
		return 0, chat.Errorf(chat.CodeConflict, "the conversation is no longer waiting")
	}
	me := counselorOf(staff)
	if !Trained(me, FromConversation(c)) {
		// Never a young person to someone not trained for young people.
		return 0, chat.Errorf(chat.CodeConflict, "this conversation needs a counsellor trained for it")
	}
	capacity := min(staff.Capacity, max(staff.MaxCapacity, 1))
	if m, ok, err := r.store.Member(ctx, staff.ID); err == nil && ok {
		capacity = min(m.Capacity, max(m.MaxCapacity, 1)) // as chosen on this shift
	}
	if r.cfg.Mode == ModeOffer {
		// The offer stays until Accepted removes it, after the assignment
		// is stored: were it taken now, a round in between would see this
		// counsellor with neither the offer nor the conversation, offer
		// them another, and that accept would find them at capacity.
		if ok, err := r.store.Offered(ctx, c.ID, staff.ID); err != nil {
			return 0, err
		} else if !ok && !r.pickedByHand(ctx, c) {
			return 0, chat.Errorf(chat.CodeConflict, "this conversation is not offered to you (any more)")
		}
	}
	return capacity, nil
}

func counselorOf(staff chat.StaffInfo) Counselor {
	c := Counselor{ID: staff.ID, Status: StatusAvailable, Capacity: staff.Capacity, MaxCapacity: staff.MaxCapacity, Languages: staff.Languages}
	for _, a := range staff.Audiences {
		c.Audiences = append(c.Audiences, chat.Audience(a))
	}
	return c
}

// Accepted implements chat.Router.
func (r *Router) Accepted(ctx context.Context, staffID int64, c chat.Conversation) {
	now := r.cfg.Now()
	r.store.DeleteOffer(ctx, c.ID)
	r.store.ClearPasses(ctx, c.ID)
	if err := r.store.Assigned(ctx, staffID, now); err != nil {
		r.cfg.Log.Warn("recording an assignment in presence failed", "error", err)
	}
	if c.Priority == PriorityNew {
		// Returned conversations would distort what a new arrival can expect.
		r.est.Add(c.AssignedAt.Sub(c.QueuedAt), max(c.JoinPosition, 1), now)
	}
	r.Changed()
}

// Connected implements chat.Router.
func (r *Router) Connected(ctx context.Context, staff chat.StaffInfo) {
	if staff.Role != chat.RoleCounselor && staff.Role != chat.RoleSupervisor {
		return // admins are not on the team that takes conversations
	}
	now := r.cfg.Now()
	m := Member{Counselor: counselorOf(staff), DisplayName: staff.DisplayName, SeenAt: now}
	m.IdleSince = now
	if err := r.store.Join(ctx, m); err != nil {
		r.cfg.Log.Error("recording presence failed", "error", err)
		return
	}
	r.svc.TeamChanged(ctx)
}

// Disconnected implements chat.Router: nothing changes until the grace time
// has passed without the counsellor coming back (see sweep).
func (r *Router) Disconnected(ctx context.Context, staffID int64) {
	r.store.Seen(ctx, []int64{staffID}, r.cfg.Now())
	r.svc.TeamChanged(ctx)
}

// Heartbeat implements chat.Router.
func (r *Router) Heartbeat(ctx context.Context, staffIDs []int64) {
	if err := r.store.Seen(ctx, staffIDs, r.cfg.Now()); err != nil && ctx.Err() == nil {
		r.cfg.Log.Warn("recording presence failed", "error", err)
	}
}

// SetStatus implements chat.Router.
func (r *Router) SetStatus(ctx context.Context, staffID int64, status string, capacity int) (chat.TeamMember, error) {
	st := Status(status)
	if !st.Valid() || st == StatusOffline {
		return chat.TeamMember{}, chat.Errorf(chat.CodeInvalid, "status must be available, busy or break")
	}
	m, err := r.store.SetStatus(ctx, staffID, st, capacity)
	if err != nil {
		return chat.TeamMember{}, err
	}
	counts, _ := r.chat.ActiveCounts(ctx)
	r.statusChanged(ctx, staffID, st)
	r.Changed()
	return teamMember(m, counts[m.ID]), nil
}

// SetMaxCapacity applies the maximum an admin just set for a counsellor who
// is on shift: a chosen capacity above it comes down to it, and they and the
// team see the change. Off shift there is nothing to do: they get the new
// maximum from their account when they connect.
func (r *Router) SetMaxCapacity(ctx context.Context, staffID int64, maxCapacity int) error {
	m, ok, err := r.store.SetMaxCapacity(ctx, staffID, maxCapacity)
	if err != nil || !ok {
		return err
	}
	counts, _ := r.chat.ActiveCounts(ctx)
	r.svc.StaffChanged(ctx, teamMember(m, counts[m.ID]), "max_capacity")
	r.svc.TeamChanged(ctx)
	return nil
}

// Decline implements chat.Router.
func (r *Router) Decline(ctx context.Context, staffID int64, conversationID string) error {
	if _, ok, err := r.store.TakeOffer(ctx, conversationID, staffID); err != nil {
		return err
	} else if !ok {
		return chat.ErrNotFound
	}
	if err := r.store.AddPass(ctx, conversationID, staffID); err != nil {
		return err
	}
	r.Changed()
	return nil
}

func teamMember(m Member, active int) chat.TeamMember {
	t := chat.TeamMember{ID: m.ID, StaffID: strconv.FormatInt(m.ID, 10), DisplayName: m.DisplayName, Status: string(m.Status),
		Capacity: min(m.Capacity, max(m.MaxCapacity, 1)), MaxCapacity: m.MaxCapacity, Active: active, Languages: m.Languages,
		Audiences: audienceStrings(m.Audiences), IdleSince: m.IdleSince}
	if t.Languages == nil {
		t.Languages = []string{}
	}
	return t
}

// Trained implements chat.Router.
func (r *Router) Trained(m chat.TeamMember, c chat.Conversation) bool {
	return Trained(counselorOf(chat.StaffInfo{ID: m.ID, Languages: m.Languages, Audiences: m.Audiences}), FromConversation(c))
}

// Team implements chat.Router: the counsellors on shift now.
func (r *Router) Team(ctx context.Context) ([]chat.TeamMember, error) {
	now := r.cfg.Now()
	team, err := r.readRoster(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]chat.TeamMember, 0, len(team.members))
	for _, m := range team.members {
		if r.online(m, now, r.offerableFor()) {
			out = append(out, teamMember(m, team.active[m.ID]))
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// Waits implements chat.Router. It runs for the whole queue whenever the
// queue changes, and a seeker's new place is late by as long as it takes:
// pools are counted once per kind of seeker (poolSizes), not built per
// seeker.
func (r *Router) Waits(ctx context.Context, waiting []chat.Conversation) map[string]chat.Wait {
	if len(waiting) == 0 {
		// Nobody's place to tell: the queue refresher asks after every
		// change, and the roster read for nothing was most of what a busy
		// server allocated with nobody waiting.
		return map[string]chat.Wait{}
	}
	now := r.cfg.Now()
	ws := make([]Waiting, 0, len(waiting))
	for _, c := range waiting {
		ws = append(ws, FromConversation(c))
	}
	ws = Order(ws) // so a seeker's place is their index + 1 (Positions)
	pools := newPoolSizes(r.counselors(ctx, now, r.cfg.CounselorGrace))
	out := make(map[string]chat.Wait, len(ws))
	for i, w := range ws {
		position := i + 1
		size, fallback := pools.of(w)
		est := r.est.Estimate(position, size, now)
		noneOnShift, noneSuitable := NobodyFor(size, pools.onShift)
		out[w.ConversationID] = chat.Wait{Position: position, Known: est.Known,
			LowMinutes: int(est.Low / time.Minute), HighMinutes: int(est.High / time.Minute),
			LanguageFallback: fallback, NoneOnShift: noneOnShift, NoneSuitable: noneSuitable}
	}
	return out
}

// counselors returns the members heard from within the given time, as
// routing sees them, with their active conversations counted.
func (r *Router) counselors(ctx context.Context, now time.Time, within time.Duration) []Counselor {
	team, err := r.readRoster(ctx)
	if err != nil {
		return nil
	}
	return r.onlineCounselors(team, now, within)
}

// roster is the team as one round reads it: presence rows and how many
// active conversations each member holds. A round reads it once and uses it
// throughout; what changes meanwhile is seen by the next round.
type roster struct {
	members []Member
	active  map[int64]int
}

func (r *Router) readRoster(ctx context.Context) (roster, error) {
	members, err := r.store.Members(ctx)
	if err != nil {
		return roster{}, err
	}
	counts, err := r.chat.ActiveCounts(ctx)
	if err != nil {
		return roster{}, err
	}
	return roster{members, counts}, nil
}

func (r *Router) onlineCounselors(team roster, now time.Time, within time.Duration) []Counselor {
	cs := make([]Counselor, 0, len(team.members))
	for _, m := range team.members {
		if r.online(m, now, within) {
			c := m.Counselor
			c.Active = team.active[m.ID]
			cs = append(cs, c)
		}
	}
	return cs
}

// Changed implements chat.Router.
func (r *Router) Changed() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run does the service-wide duties (offers, time-outs, returning the
// conversations of a counsellor who is gone, removing seekers who left)
// whenever this instance leads, until ctx ends. Every instance runs it;
// Store.Lead lets one at a time lead.
func (r *Router) Run(ctx context.Context) error {
	if r.svc == nil {
		return errors.New("routing: the router has no chat service to act through; call SetChat before Run")
	}
	return r.store.Lead(ctx, r.lead)
}

// roundEvery is how often the leader does a round when nothing wakes it
// sooner (Changed): offers time out and seekers are let go on this beat.
const roundEvery = time.Second

func (r *Router) lead(ctx context.Context) {
	r.cfg.Log.Info("this instance now makes offers and sweeps the queue")
	r.leading.Store(true)
	defer r.leading.Store(false)
	tick := time.NewTicker(roundEvery)
	defer tick.Stop()
	for {
		if err := r.Round(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Log.Error("routing round failed; trying again", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.wake:
		}
	}
}

// Round does one pass of the leader's duties. Only the leading loop calls
// it, and tests, directly, with a fake clock and no leader running.
func (r *Router) Round(ctx context.Context) error {
	now := r.cfg.Now()
	// Offers are read before the roster: an accept stores the assignment
	// and only then removes its offer, so every offer missing from this
	// read has its conversation counted in the roster read after it. Read
	// the other way round, a counsellor could appear with room and no
	// offer, be offered one more, and find themselves at capacity.
	offers, err := r.store.Offers(ctx)
	if err != nil {
		return err
	}
	swept := false
	if len(offers) == 0 {
		// Nothing offered: most rounds, every second on a busy shift with
		// nobody waiting. The round's other duties need only the members
		// past their grace and the listed members counted (quietSweep), not
		// a copy of every presence row and every active count; the roster
		// is read, in the order above, only if someone waits.
		waiting, err := r.quietSweep(ctx, now)
		if err != nil || len(waiting) == 0 || r.cfg.Mode != ModeOffer {
			return err
		}
		swept = true
	}
	team, err := r.readRoster(ctx)
	if err != nil {
		return err
	}
	if !swept {
		r.noticeOffShift(ctx, now, team)
		if err := r.returnLostConversations(ctx, now, team.members, team.active); err != nil {
			return err
		}
	}
	waiting, err := r.chat.Waiting(ctx)
	if err != nil {
		return err
	}
	waiting, err = r.removeAbandoned(ctx, now, waiting)
	if err != nil {
		return err
	}
	if r.cfg.Mode != ModeOffer {
		return nil
	}
	return r.offer(ctx, now, waiting, team, offers)
}

func (r *Router) removeAbandoned(ctx context.Context, now time.Time, waiting []chat.Conversation) ([]chat.Conversation, error) {
	ws := make([]Waiting, 0, len(waiting))
	for _, c := range waiting {
		ws = append(ws, FromConversation(c))
	}
	gone := map[string]bool{}
	for _, id := range Abandoned(ws, now, r.cfg.SeekerGrace) {
		if err := r.svc.Abandon(ctx, id); err != nil && chat.ErrorCode(err) != chat.CodeConflict {
			return nil, err
		}
		gone[id] = true
	}
	if len(gone) == 0 {
		return waiting, nil
	}
	kept := waiting[:0:0]
	for _, c := range waiting {
		if !gone[c.ID] {
			kept = append(kept, c)
		}
	}
	return kept, nil
}

// expireOffers takes back the offers that ran out, counting a miss for
// each counsellor who let one expire, and returns their conversations.
func (r *Router) expireOffers(ctx context.Context, now time.Time, team roster, offers []Offer) map[string]bool {
	// Pointers into this round's roster: a counsellor made busy by a miss
	// below must not be offered another conversation in the same round.
	// Made only when an offer expired (most rounds have none).
	var byID map[int64]*Member
	expired := map[string]bool{}
	for _, o := range Expired(offers, now) {
		if byID == nil {
			byID = make(map[int64]*Member, len(team.members))
			for i := range team.members {
				byID[team.members[i].ID] = &team.members[i]
			}
		}
		expired[o.ConversationID] = true
		if _, ok, err := r.store.TakeOffer(ctx, o.ConversationID, o.CounselorID); err != nil || !ok {
			continue // accepted or withdrawn meanwhile
		}
		r.store.AddPass(ctx, o.ConversationID, o.CounselorID)
		if m, ok := byID[o.CounselorID]; ok {
			after, setBusy := AfterMiss(m.Counselor, r.cfg.Misses)
			r.store.SetMisses(ctx, m.ID, after.Misses, after.Status)
			if setBusy {
				r.statusChanged(ctx, m.ID, after.Status)
				m.Counselor = after
				r.svc.StaffChanged(ctx, teamMember(*m, 0), "missed_offers")
				r.svc.TeamChanged(ctx)
			}
		}
	}
	return expired
}

// offer expires old offers (counting misses) and makes new ones.
func (r *Router) offer(ctx context.Context, now time.Time, waiting []chat.Conversation, team roster, offers []Offer) error {
	isWaiting := make(map[string]chat.Conversation, len(waiting))
	for _, c := range waiting {
		isWaiting[c.ID] = c
	}
	expired := r.expireOffers(ctx, now, team, offers)
	var live []Offer
	for _, o := range offers {
		if _, ok := isWaiting[o.ConversationID]; !ok {
			r.store.DeleteOffer(ctx, o.ConversationID) // assigned or ended meanwhile
		}
		// An offer whose conversation was assigned meanwhile still holds
		// its counsellor for this round: the active counts were read
		// before the waiting list and may not count that conversation yet.
		if !expired[o.ConversationID] {
			live = append(live, o)
		}
	}
	if len(waiting) == 0 {
		return nil // nothing to offer: no passes, pauses or free counsellors to look up
	}
	passes, err := r.store.Passes(ctx)
	if err != nil {
		return err
	}
	ws := make([]Waiting, 0, len(waiting))
	for _, c := range waiting {
		w := FromConversation(c)
		w.Passed = passes[c.ID]
		ws = append(ws, w)
	}
	if r.cfg.Paused != nil {
		paused, err := r.cfg.Paused.PausedSkills(ctx)
		if err != nil {
			return err // offering a paused skill would be worse than a round late
		}
		ws = unpaused(ws, paused)
	}
	cs := r.onlineCounselors(team, now, r.offerableFor())
	for _, m := range Choose(ws, cs, live, now) {
		if m.NewRound {
			r.store.ClearPasses(ctx, m.ConversationID)
		}
		o := m.Offer(now, r.cfg.OfferTimeout)
		ok, err := r.store.PutOffer(ctx, o)
		if err != nil {
			return err
		}
		if ok {
			r.svc.Offer(ctx, m.CounselorID, isWaiting[m.ConversationID], o.Expires, m.LanguageFallback)
		}
	}
	return nil
}
