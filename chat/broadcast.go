package chat

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"helpline/chat/wire"
)

// broadcaster keeps this instance's waiting seekers told their place and
// its staff the queue and the team. Anything that may have changed the
// queue or the team marks it dirty (markDirty); one goroutine (run) then
// reads the waiting list once and sends what changed, paced and throttled.
// Only that goroutine touches queueDue, teamDue and the seekers' lastWait;
// queue and team are also read by connections opening (queueSnapshot,
// teamFrame).
type broadcaster struct {
	store  Store
	router Router
	hub    *Hub
	log    *slog.Logger

	dirty chan struct{}
	// Whether the queue and the team may have changed since consoles were
	// last sent them: set by markDirty, taken by each refresh. A throttle's
	// recheck wakes the refresher without setting them (see recheck).
	queueStale, teamStale atomic.Bool

	// When consoles may next be sent the queue and the team.
	queueDue, teamDue throttle
	// The queue as consoles were last told.
	queue queueCast
	// The team as consoles were last told.
	team teamCast
	// Which queue_changes consoles see the list, which only the total.
	views queueViews
	// The clock of the throttles (SetStaffClock).
	clock atomic.Pointer[StaffClock]
}

// StaffClock is the time the staff broadcasts are coalesced by: Now, and
// AfterFunc to run f once d has passed. The default is the real time;
// tests give a clock they step.
type StaffClock struct {
	Now       func() time.Time
	AfterFunc func(d time.Duration, f func())
}

func newBroadcaster(store Store, router Router, hub *Hub, log *slog.Logger) *broadcaster {
	b := &broadcaster{store: store, router: router, hub: hub, log: log, dirty: make(chan struct{}, 1)}
	b.clock.Store(&StaffClock{Now: time.Now, AfterFunc: func(d time.Duration, f func()) { time.AfterFunc(d, f) }})
	return b
}

// SetStaffClock makes the queue and team broadcasts to consoles keep to
// clock: at most one of each per period of it. For tests and benchmarks
// that count what consoles receive without waiting on real seconds.
func (s *Service) SetStaffClock(clock StaffClock) { s.cast.clock.Store(&clock) }

// markDirty asks for a refresh; it never blocks.
func (b *broadcaster) markDirty() {
	b.queueStale.Store(true)
	b.teamStale.Store(true)
	b.recheck()
}

// recheck wakes the refresher for what is already marked stale: a throttle
// that said no calls it when due. Were it markDirty, a refresh woken for
// the queue would find the team's throttle not due, schedule a recheck of
// its own, whose refresh would find the queue's not due…: two reads of the
// queue and of the whole team every second, for ever, with nothing changed.
func (b *broadcaster) recheck() {
	select {
	case b.dirty <- struct{}{}:
	default:
	}
}

// Pauses of the queue refresher: after a refresh, changes wait four times
// what it took, so that refreshing a long queue (or on a slow database)
// keeps to a fifth of the time; but at least refreshPauseMin, and at most
// refreshPauseMax, the fixed pause there used to be.
const (
	refreshPauseMin = 20 * time.Millisecond
	refreshPauseMax = 100 * time.Millisecond
)

// run tells waiting seekers their place, and staff the queue and the team,
// whenever the queue changes, until ctx ends. A change after a quiet spell
// goes out at once: a seeker should see their new place as soon as someone
// ahead of them is taken. Changes that come during the short pause after a
// refresh are gathered into one, so that a burst of arrivals costs a few
// reads, not one each.
func (b *broadcaster) run(ctx context.Context) {
	var next time.Time // no refresh before this
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.dirty:
		}
		if !sleepUntil(ctx, next) {
			return
		}
		// Whatever changed while we paused, this refresh reads.
		select {
		case <-b.dirty:
		default:
		}
		start := time.Now()
		if err := b.sendQueueState(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("reading the queue failed; trying again in a second", "error", err)
			time.AfterFunc(time.Second, b.markDirty)
		}
		took := time.Since(start)
		next = time.Now().Add(min(max(4*took, refreshPauseMin), refreshPauseMax))
	}
}

// sleepUntil waits until t (not at all if it has passed); false if ctx ended.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// throttle lets the refresher do something at most once per period. Asked
// too early, it says no and makes sure the refresher runs again when due,
// so that the last change is never left unsent.
type throttle struct {
	last      time.Time
	scheduled bool
}

func (t *throttle) due(clock *StaffClock, every time.Duration, recheck func()) bool {
	now := clock.Now()
	if now.Sub(t.last) >= every {
		t.last, t.scheduled = now, false
		return true
	}
	if !t.scheduled {
		t.scheduled = true
		clock.AfterFunc(t.last.Add(every).Sub(now), recheck)
	}
	return false
}

// How often consoles may be sent the queue and the team at most: with
// hundreds of consoles, resending them on every arrival swamped them. A
// change after a quiet second still goes out at once.
const (
	staffQueueEvery = time.Second
	staffTeamEvery  = time.Second
)

// queueFrameEntries caps the waiting list sent to staff: a console shows the
// oldest few, and the total. It was 50; while 5,000 consoles connected on a
// busy machine (seekers queueing faster than they were offered) the list
// turned over every second, and its snapshots and changes to the consoles
// not yet full were 94 of 141 MiB of staff frames. The oldest 20 are the
// ones to take next (routing and the supervisor page see the whole queue).
const queueFrameEntries = 20

// sendQueueState reads the queue once and tells each waiting seeker their
// place, then this instance's staff the waiting list and the team. Seekers
// come first: their place is what they sit watching, and the team may
// take two more queries.
func (b *broadcaster) sendQueueState(ctx context.Context) error {
	// Taken before the read: a change after it marks them again.
	stale := staleness{queue: b.queueStale.Swap(false), team: b.teamStale.Swap(false)}
	b.log.Debug("reading the queue")
	waiting, err := b.store.Waiting(ctx)
	if err != nil {
		return err // run marks everything stale again in a second
	}
	b.sendPlaces(ctx, waiting)
	return b.sendStaffState(ctx, waiting, stale)
}

// staleness is what a refresh found marked stale.
type staleness struct{ queue, team bool }

// keep marks again what this refresh did not send after all.
func (b *broadcaster) keep(s staleness) {
	if s.queue {
		b.queueStale.Store(true)
	}
	if s.team {
		b.teamStale.Store(true)
	}
}

// sendStaffState sends this instance's consoles the queue and what changed
// in the team, each only when it changed, at most once a second, and only
// to the consoles that want it. Every frame is encoded once for all of
// them.
func (b *broadcaster) sendStaffState(ctx context.Context, waiting []Conversation, stale staleness) error {
	if len(b.hub.consoles(0)) == 0 {
		b.keep(stale)
		return nil // the team snapshot may go stale meanwhile: see teamFrame
	}
	clock := b.clock.Load()
	var queue, queueChanges, team *serverFrame
	var err error
	// Only what may have changed is read, when its throttle lets it;
	// what it does not let yet stays stale for its recheck.
	queueRead := stale.queue && b.queueDue.due(clock, staffQueueEvery, b.recheck)
	teamRead := stale.team && b.teamDue.due(clock, staffTeamEvery, b.recheck)
	b.keep(staleness{queue: stale.queue && !queueRead, team: stale.team && !teamRead})
	if queueRead {
		var c queueChange
		var whole serverFrame
		if c, whole, err = b.queue.replace(waiting, clock.Now()); err != nil {
			return err
		}
		if c.changed {
			f := c.frame()
			queue, queueChanges = &whole, &f
		}
	}
	if teamRead {
		var c teamChange
		// On an error the queue still goes out: it is already marked as sent.
		if c, err = b.teamChanges(ctx, clock.Now()); err == nil && !c.empty() {
			f := c.frame()
			team = &f
		}
	}
	// Listed only now, after the team snapshot was replaced: a console that
	// connected meanwhile may already have that snapshot, and then ignores
	// the changes its version includes; listed before, it could miss them.
	// A team read may have changed who is at capacity, hence whose queue
	// view, even when neither the queue nor the listed team changed.
	if queue != nil || team != nil || (teamRead && err == nil) {
		b.sendToConsoles(b.hub.consoles(0), queue, queueChanges, team)
	}
	return err
}

// sendToConsoles queues each console the frames of its streams: whole
// queue frames, its view of the queue's changes (queueViews) and the
// team's changes.
func (b *broadcaster) sendToConsoles(consoles []*Conn, queue, queueChanges, team *serverFrame) {
	for _, c := range consoles {
		if queue != nil && c.wants(streamQueue) {
			c.enqueue(*queue)
		}
		if team != nil && c.wants(streamTeam) {
			c.enqueue(*team)
		}
	}
	b.views.send(consoles, queueChanges, b.queue.snapshotFrame, b.queue.waitingTotal())
}

// teamChanges reads the team, makes it the snapshot consoles start from,
// and returns what changed since the last one.
func (b *broadcaster) teamChanges(ctx context.Context, now time.Time) (teamChange, error) {
	team, err := b.router.Team(ctx)
	if err != nil {
		return teamChange{}, err
	}
	b.views.setFull(team)
	return b.team.replace(team, now)
}

// sendPlaces tells each waiting seeker connected here their place, when it
// changed.
func (b *broadcaster) sendPlaces(ctx context.Context, waiting []Conversation) {
	// A connection still opening is told its place once its ready is
	// queued: start marks the queue dirty for it.
	seekers := b.hub.connections(func(c *Conn) bool { return c.principal.Role == RoleSeeker && c.ready.Load() })
	if len(seekers) == 0 {
		return
	}
	waits := b.router.Waits(ctx, waiting)
	b.log.Debug("telling waiting seekers their place", "waiting", len(waiting), "seekers", len(seekers), "places", len(waits))
	for _, c := range seekers {
		w, ok := waits[c.principal.ConversationID]
		if !ok {
			c.lastWait = Wait{} // not waiting: a later return to the queue is news again
			continue
		}
		if c.lastWait != w {
			c.lastWait = w // only this goroutine writes it
			c.enqueue(serverFrame{Type: wire.FramePosition, ConversationID: c.principal.ConversationID, Wait: &w})
		}
	}
}

// teamFrame is the team as a console gets it when it connects: this
// instance's snapshot, which the next team_changes is computed against.
// The router is asked only when there is no snapshot yet. One gone stale
// while no console was connected here is still the right start (the next
// change corrects it); the refresher is woken to send that change now.
func (b *broadcaster) teamFrame(ctx context.Context) (serverFrame, error) {
	now := b.clock.Load().Now()
	primed, readAt := b.team.primedAt()
	if !primed {
		team, err := b.router.Team(ctx)
		if err != nil {
			return serverFrame{}, err
		}
		if err := b.team.prime(team, now); err != nil {
			return serverFrame{}, err
		}
	} else if now.Sub(readAt) > staffTeamEvery {
		b.markDirty()
	}
	return b.team.snapshotFrame(), nil
}

// queueSnapshot is the queue frame a queue_changes console starts from:
// this instance's snapshot, read from the store only when there is none
// yet; one older than a second wakes the refresher (as teamFrame).
func (b *broadcaster) queueSnapshot(ctx context.Context) (serverFrame, error) {
	now := b.clock.Load().Now()
	primed, readAt := b.queue.primedAt()
	if !primed {
		waiting, err := b.store.Waiting(ctx)
		if err != nil {
			return serverFrame{}, err
		}
		if err := b.queue.prime(waiting, now); err != nil {
			return serverFrame{}, err
		}
	} else if now.Sub(readAt) > staffQueueEvery {
		b.markDirty()
	}
	return b.queue.snapshotFrame(), nil
}

// queueFrame is the queue as a console of the queue stream gets it when
// it connects.
func (b *broadcaster) queueFrame(ctx context.Context) (serverFrame, error) {
	waiting, err := b.store.Waiting(ctx)
	if err != nil {
		return serverFrame{}, err
	}
	return queueFrame(waiting), nil
}

func queueFrame(waiting []Conversation) serverFrame {
	total := len(waiting)
	if len(waiting) > queueFrameEntries {
		waiting = waiting[:queueFrameEntries]
	}
	entries := make([]QueueEntry, 0, len(waiting))
	for _, c := range waiting {
		entries = append(entries, QueueEntry{ConversationID: c.ID, Audience: string(c.Audience), Language: c.Language,
			Region: c.Region, WaitingSince: c.QueuedAt, Priority: c.Priority, PriorityReason: c.PriorityReason})
	}
	pageSize := queueFrameEntries
	return serverFrame{Type: wire.FrameQueue, Waiting: &entries, WaitingTotal: &total, PageSize: &pageSize}
}
