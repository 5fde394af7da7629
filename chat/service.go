package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"helpline/chat/wire"
)

// StaffInfo is what chat needs to know about a signed-in staff member.
type StaffInfo struct {
	ID          int64
	Username    string
	DisplayName string
	Role        Role
	Capacity    int // chosen by them
	MaxCapacity int // allowed by a supervisor
	Languages   []string
	Audiences   []string
}

// StaffDirectory answers for staff sign-ins and records what staff read; the
// counselors package implements it.
type StaffDirectory interface {
	// RecordRead writes "staff member read this conversation" to the audit
	// log. An error means no row was written: the read must then not happen.
	RecordRead(ctx context.Context, staffID int64, conversationID string) error
	// RecordRefused notes that a staff member was refused a conversation (it
	// is not theirs, or does not exist), so that probing leaves a trace. The
	// answer to them stays "not found" whatever happens here.
	RecordRefused(ctx context.Context, staffID int64, conversationID string)
	// CheckSession returns the account behind a staff principal while its
	// sign-in is valid and the account enabled, else a CodeUnauthorized error.
	CheckSession(ctx context.Context, p Principal) (StaffInfo, error)
}

// Config wires a Service.
type Config struct {
	Store          Store
	Broker         Broker
	Router         Router
	Tokens         *Tokens
	Staff          StaffDirectory
	Log            *slog.Logger
	Now            Clock
	SeekerTokenTTL time.Duration
	Languages      map[string]bool // languages a seeker may choose
	OriginPatterns []string        // extra WebSocket origins besides the page's own (host, or scheme://host, patterns)
	WriteWorkers   int             // concurrent store batches (default 4)
	Metrics        *Metrics        // nil: not exported
	// HTTPS says the service is reached over HTTPS even when requests
	// arrive as plain HTTP (a proxy ends TLS): the page's own origin is then
	// https://host.
	HTTPS bool
	// AuthTimeout is how long a new socket may take to send its auth frame
	// before it is closed with 4002 (default 10 s).
	AuthTimeout time.Duration
	// Heartbeat is how often this instance says which staff and seekers are
	// still connected (default 10 s); keep it well under the grace times.
	Heartbeat time.Duration
}

// Service is the chat core of one server instance: every action a seeker or
// counsellor can take, with authorisation decided in one place (mayAccess)
// for HTTP and WebSocket alike.
type Service struct {
	cfg    Config
	store  Store
	broker Broker
	tokens *Tokens
	log    *slog.Logger
	now    Clock
	hub    *Hub
	writer *Writer

	queueDirty chan struct{}
	sendLimit  *Limiter // per conversation and side

	// Owned by the queue refresher goroutine: the queue staff were last
	// sent, and when staff may next be sent the queue and the team.
	lastQueue         []byte
	queueDue, teamDue throttle
	// The team as consoles were last told: the refresher's, and read by
	// connections opening (teamFrame).
	team teamCast

	router Router

	connsMu    sync.Mutex
	conns      map[*Conn]struct{}
	staffConns map[int64]int // connections per staff member on this instance
	closing    bool
	handlers   sync.WaitGroup // running WebSocket handlers
	shutdown   sync.Once
}

// One side of a conversation may send this many messages a second on
// average (in bursts of sendBurst), however many sockets it opens.
const (
	sendsPerSecond = 5
	sendBurst      = 30
)

// NewService builds a Service; call Run to start hearing events.
func NewService(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SeekerTokenTTL == 0 {
		cfg.SeekerTokenTTL = 24 * time.Hour
	}
	if cfg.Metrics == nil {
		cfg.Metrics = discardMetrics()
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 10 * time.Second
	}
	if cfg.AuthTimeout == 0 {
		cfg.AuthTimeout = authTimeout
	}
	if cfg.WriteWorkers == 0 {
		cfg.WriteWorkers = 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Service{cfg: cfg, store: cfg.Store, broker: cfg.Broker, tokens: cfg.Tokens, log: cfg.Log, now: cfg.Now, router: cfg.Router,
		staffConns: map[int64]int{},
		hub:        newHub(cfg.Store), queueDirty: make(chan struct{}, 1), conns: map[*Conn]struct{}{},
		sendLimit: NewLimiter(sendsPerSecond, sendBurst)}
	s.writer = NewWriter(cfg.Store, cfg.WriteWorkers, s.hub.publish)
	s.writer.metrics = cfg.Metrics
	return s
}

// Run hears events from every instance and keeps staff queues current, until
// ctx ends. The router's own duties (offers, time-outs) are not started
// here: whoever wires the router runs it.
func (s *Service) Run(ctx context.Context) error {
	go s.refreshQueues(ctx)
	go s.heartbeats(ctx)
	go s.keepalive(ctx)
	return s.broker.Run(ctx, func(e Event) { s.handleEvent(ctx, e) })
}

// connections copies the connections of this instance that match, so that
// nothing slow happens under connsMu.
func (s *Service) connections(match func(*Conn) bool) []*Conn {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	var out []*Conn
	for c := range s.conns {
		if match(c) {
			out = append(out, c)
		}
	}
	return out
}

func (s *Service) heartbeats(ctx context.Context) {
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var staff []int64
		var seekers []string
		s.connsMu.Lock()
		for id := range s.staffConns {
			staff = append(staff, id)
		}
		for c := range s.conns {
			if c.principal.Role == RoleSeeker {
				seekers = append(seekers, c.principal.ConversationID)
			}
		}
		s.connsMu.Unlock()
		if len(staff) > 0 {
			s.router.Heartbeat(ctx, staff)
		}
		if err := s.store.TouchSeekers(ctx, seekers, s.now()); err != nil && ctx.Err() == nil {
			s.log.Warn("recording that seekers are connected failed", "error", err)
		}
	}
}

// Shutdown closes every WebSocket with 1001 "going away" so that clients
// reconnect (to another instance, or to this one after a restart), then
// stops the writer once nothing can submit to it.
func (s *Service) Shutdown() {
	s.shutdown.Do(func() {
		s.connsMu.Lock()
		s.closing = true
		conns := make([]*Conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.connsMu.Unlock()
		for _, c := range conns {
			go c.close(StatusGoingAway, "server restarting")
		}
		// Every handler must be done submitting before the writer stops.
		s.handlers.Wait()
		s.writer.Close()
	})
}

func (s *Service) handleEvent(ctx context.Context, e Event) {
	switch e.Type {
	case EventMessages:
		if r := s.hub.room(e.ConversationID); r != nil && r.announce(e.Seq) {
			r.wake()
		}
	case EventConversation:
		if e.Conversation == nil {
			return
		}
		view := e.Conversation.View()
		frame := serverFrame{Type: wire.FrameConversation, Conversation: &view}
		if e.StaffID != 0 {
			for _, c := range s.hub.staffConns(e.StaffID) {
				c.subscribe(e.ConversationID)
			}
		}
		if r := s.hub.room(e.ConversationID); r != nil {
			for _, c := range r.subscribers() {
				c.enqueue(frame)
				// Staff who no longer hold it (transferred, returned to
				// the queue) stop hearing about it.
				if c.principal.Role.IsStaff() && e.Conversation.CounselorID != c.principal.StaffID && !c.watches(e.ConversationID) {
					c.unsubscribe(e.ConversationID)
				}
			}
		}
		if e.Conversation.Status != StatusWaiting {
			s.router.Changed()
		}
	case EventTyping:
		if r := s.hub.room(e.ConversationID); r != nil {
			typing := e.Typing
			frame := serverFrame{Type: wire.FrameTyping, ConversationID: e.ConversationID, Sender: e.Sender, Typing: &typing}
			for _, c := range r.subscribers() {
				if c.sender() != e.Sender {
					c.enqueue(frame)
				}
			}
		}
	case EventQueue, EventTeam:
		s.router.Changed()
		s.markQueueDirty()
	case EventOffer:
		if e.Conversation == nil {
			return
		}
		view, until := e.Conversation.View(), e.Until
		for _, c := range s.hub.staffConns(e.StaffID) {
			c.enqueue(serverFrame{Type: wire.FrameOffer, Conversation: &view, ExpiresAt: &until, Reason: e.Reason})
		}
	case EventStaff:
		for _, c := range s.hub.staffConns(e.StaffID) {
			c.enqueue(serverFrame{Type: wire.FrameStatus, Member: e.Member, Reason: e.Reason})
		}
		s.markQueueDirty()
	case EventRevoke:
		for _, c := range s.hub.staffConns(e.StaffID) {
			if e.SessionID == "" || c.principal.SessionID == e.SessionID {
				go c.close(StatusRevoked, "signed out")
			}
		}
	case EventResync:
		go s.hub.resync(ctx)
		s.markQueueDirty()
	}
}

func (s *Service) publish(ctx context.Context, e Event) {
	if err := s.broker.Publish(ctx, e); err != nil {
		s.log.Error("publishing an event failed; clients will catch up on reconnect", "event", e.Type, "error", err)
	}
}

func (s *Service) markQueueDirty() {
	select {
	case s.queueDirty <- struct{}{}:
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

// refreshQueues tells waiting seekers their place, and staff the queue and
// the team, whenever the queue changes. A change after a quiet spell goes
// out at once: a seeker should see their new place as soon as someone ahead
// of them is taken. Changes that come during the short pause after a
// refresh are gathered into one, so that a burst of arrivals costs a few
// reads, not one each.
func (s *Service) refreshQueues(ctx context.Context) {
	var next time.Time // no refresh before this
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.queueDirty:
		}
		if !sleepUntil(ctx, next) {
			return
		}
		// Whatever changed while we paused, this refresh reads.
		select {
		case <-s.queueDirty:
		default:
		}
		start := time.Now()
		if err := s.sendQueueState(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reading the queue failed; trying again in a second", "error", err)
			time.AfterFunc(time.Second, s.markQueueDirty)
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

func (t *throttle) due(now time.Time, every time.Duration, recheck func()) bool {
	if now.Sub(t.last) >= every {
		t.last, t.scheduled = now, false
		return true
	}
	if !t.scheduled {
		t.scheduled = true
		time.AfterFunc(t.last.Add(every).Sub(now), recheck)
	}
	return false
}

// How often staff may be sent the queue and the team at most: with
// hundreds of consoles, resending them on every arrival swamped them.
const (
	staffQueueEvery = 100 * time.Millisecond
	staffTeamEvery  = time.Second
)

// queueFrameEntries caps the waiting list sent to staff: a console shows the
// oldest few, and the total.
const queueFrameEntries = 50

// sendQueueState reads the queue once and tells each waiting seeker their
// place, then this instance's staff the waiting list and the team. Seekers
// come first: their place is what they sit watching, and the team may
// take two more queries.
func (s *Service) sendQueueState(ctx context.Context) error {
	s.log.Debug("reading the queue")
	waiting, err := s.store.Waiting(ctx)
	if err != nil {
		return err
	}
	s.sendPlaces(ctx, waiting)
	return s.sendStaffState(ctx, waiting)
}

// sendStaffState sends this instance's staff the queue and what changed in
// the team, each only when it changed and at most as often as allowed.
// Every frame is encoded once for all consoles.
func (s *Service) sendStaffState(ctx context.Context, waiting []Conversation) error {
	if len(s.hub.staffConns(0)) == 0 {
		return nil // the team snapshot may go stale meanwhile: see teamFrame
	}
	now := time.Now()
	var frames []serverFrame
	if s.queueDue.due(now, staffQueueEvery, s.markQueueDirty) {
		if queue := queueFrame(waiting); s.changed(&s.lastQueue, queue) {
			queue.encoded = s.lastQueue // just encoded to compare; changed never alters it after
			frames = append(frames, queue)
		}
	}
	var err error
	if s.teamDue.due(now, staffTeamEvery, s.markQueueDirty) {
		var changes serverFrame
		var ok bool
		// On an error the queue still goes out: it is already marked as sent.
		if changes, ok, err = s.teamChanges(ctx); ok {
			frames = append(frames, preEncoded(changes))
		}
	}
	// Listed only now, after the team snapshot was replaced: a console that
	// connected meanwhile may already have that snapshot, and then gets
	// the changes twice, which does no harm; listed before, it could miss
	// them.
	if len(frames) > 0 {
		for _, c := range s.hub.staffConns(0) {
			for _, f := range frames {
				c.enqueue(f)
			}
		}
	}
	return err
}

// teamChanges reads the team, makes it the snapshot consoles start from,
// and returns a team_changes frame of what changed since the last one; ok
// is false if nothing did.
func (s *Service) teamChanges(ctx context.Context) (f serverFrame, ok bool, err error) {
	team, err := s.router.Team(ctx)
	if err != nil {
		return serverFrame{}, false, err
	}
	c, err := s.team.replace(team, time.Now())
	if err != nil || c.empty() {
		return serverFrame{}, false, err
	}
	return serverFrame{Type: wire.FrameTeamChanges, Added: &c.added, Changed: &c.changed, Gone: &c.gone}, true, nil
}

// sendPlaces tells each waiting seeker connected here their place, when it
// changed.
func (s *Service) sendPlaces(ctx context.Context, waiting []Conversation) {
	// A connection still opening is told its place once its ready is
	// queued: start marks the queue dirty for it.
	seekers := s.connections(func(c *Conn) bool { return c.principal.Role == RoleSeeker && c.ready.Load() })
	if len(seekers) == 0 {
		return
	}
	waits := s.router.Waits(ctx, waiting)
	s.log.Debug("telling waiting seekers their place", "waiting", len(waiting), "seekers", len(seekers), "places", len(waits))
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

// changed reports whether f differs from what *last holds, and keeps it.
func (s *Service) changed(last *[]byte, f serverFrame) bool {
	b, err := json.Marshal(f)
	if err != nil || bytes.Equal(b, *last) {
		return false
	}
	*last = b
	return true
}

// teamFrame is the whole team as a console gets it when it connects: this
// instance's snapshot, which the next team_changes is computed against.
// The router is asked only when there is no snapshot yet. One gone stale
// while no console was connected here is still the right start (the next
// change corrects it); the refresher is woken to send that change now.
func (s *Service) teamFrame(ctx context.Context) (serverFrame, error) {
	list, readAt := s.team.snapshot()
	if list == nil {
		team, err := s.router.Team(ctx)
		if err != nil {
			return serverFrame{}, err
		}
		if err := s.team.prime(team, time.Now()); err != nil {
			return serverFrame{}, err
		}
	} else if time.Since(readAt) > staffTeamEvery {
		s.markQueueDirty()
	}
	return serverFrame{Type: wire.FrameTeam, Team: &teamList{cast: &s.team}}, nil
}

func (s *Service) queueFrame(ctx context.Context) (serverFrame, error) {
	waiting, err := s.store.Waiting(ctx)
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
			Region: c.Region, WaitingSince: c.QueuedAt})
	}
	return serverFrame{Type: wire.FrameQueue, Waiting: &entries, WaitingTotal: &total}
}

// StartConversation opens a conversation for an anonymous seeker and returns
// the credential that is their only proof of it.
func (s *Service) StartConversation(ctx context.Context, n NewConversation) (Conversation, string, time.Time, error) {
	if err := n.Validate(s.cfg.Languages); err != nil {
		return Conversation{}, "", time.Time{}, err
	}
	if err := s.router.Admit(ctx); err != nil {
		return Conversation{}, "", time.Time{}, err
	}
	c, err := s.store.CreateConversation(ctx, n)
	if err != nil {
		return Conversation{}, "", time.Time{}, err
	}
	token, exp := s.tokens.IssueSeeker(c.ID, s.cfg.SeekerTokenTTL)
	s.publish(ctx, Event{Type: EventQueue})
	return c, token, exp, nil
}

// WaitingCount returns how many conversations wait (for tests and operators).
func (s *Service) WaitingCount(ctx context.Context) (int, error) {
	w, err := s.store.Waiting(ctx)
	return len(w), err
}

// Admit reports whether a new conversation could start now (nil), or why not.
func (s *Service) Admit(ctx context.Context) error { return s.router.Admit(ctx) }

// Authenticate turns a bearer token into a principal; for staff it also
// checks that the sign-in is still valid.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, StaffInfo, error) {
	p, err := s.tokens.Verify(token)
	if err != nil {
		return Principal{}, StaffInfo{}, err
	}
	if p.Role == RoleSeeker {
		return p, StaffInfo{}, nil
	}
	staff, err := s.cfg.Staff.CheckSession(ctx, p)
	return p, staff, err
}

// Access is what a principal may do with a conversation.
type Access int

const (
	// AccessTake: write, end, transfer: its seeker, or the staff member it is
	// assigned to.
	AccessTake Access = iota
	// AccessRead: read its content: those who may take part, and
	// supervisors and admins by role (every such read is audited).
	AccessRead
)

// mayAccess is the one authorisation rule for a conversation, for HTTP and
// WebSocket alike. Anything refused is "not found", exactly as if the
// conversation did not exist.
func mayAccess(p Principal, c Conversation, want Access) error {
	switch {
	case p.Role == RoleSeeker && p.ConversationID == c.ID:
		return nil
	case p.Role.IsStaff() && c.CounselorID != 0 && c.CounselorID == p.StaffID:
		return nil
	case want == AccessRead && (p.Role == RoleSupervisor || p.Role == RoleAdmin):
		return nil
	}
	return ErrNotFound
}

// Conversation returns a conversation the principal may take part in.
func (s *Service) Conversation(ctx context.Context, p Principal, id string) (Conversation, error) {
	return s.conversation(ctx, p, id, AccessTake)
}

func (s *Service) conversation(ctx context.Context, p Principal, id string, want Access) (Conversation, error) {
	c, err := s.store.Conversation(ctx, id)
	if err != nil {
		return Conversation{}, err
	}
	return c, mayAccess(p, c, want)
}

// Watch lets a supervisor or admin follow a conversation they are not part
// of, silently: they read it live but cannot write. The read is audited.
func (s *Service) Watch(ctx context.Context, p Principal, id string) (Conversation, error) {
	c, err := s.conversation(ctx, p, id, AccessRead)
	if ErrorCode(err) == CodeNotFound {
		s.refused(ctx, p, id)
	}
	if err != nil {
		return Conversation{}, err
	}
	if err := s.recordRead(ctx, p, "watch:"+id); err != nil {
		return Conversation{}, err
	}
	return c, nil
}

// recordRead audits a staff read of a conversation's content. The read is
// refused (unavailable) when its audit row cannot be written: every staff
// read is audited, so none may happen unaudited.
func (s *Service) recordRead(ctx context.Context, p Principal, target string) error {
	if err := s.cfg.Staff.RecordRead(ctx, p.StaffID, target); err != nil {
		s.log.Error("refusing a staff read: its audit row could not be written", "error", err)
		return errReadNotAudited
	}
	return nil
}

var errReadNotAudited = Errorf(CodeUnavailable, "this conversation cannot be opened right now because the reading could not be recorded; try again in a moment")

// refused records a staff member's refused attempt to reach a conversation.
func (s *Service) refused(ctx context.Context, p Principal, conversationID string) {
	if p.Role.IsStaff() {
		s.cfg.Staff.RecordRefused(ctx, p.StaffID, conversationID)
	}
}

// Send stores one text message and returns once it is durably stored.
func (s *Service) Send(ctx context.Context, p Principal, staff StaffInfo, conversationID, clientID, body string) AppendResult {
	a := Append{ConversationID: conversationID, Sender: SenderSeeker, ClientID: clientID, Body: body, Kind: KindText}
	switch {
	case p.Role == RoleSeeker:
		if p.ConversationID != conversationID {
			return AppendResult{Err: ErrNotFound}
		}
	case p.Role.IsStaff():
		a.Sender, a.SenderID, a.Name = SenderCounselor, p.StaffID, staff.DisplayName
	default:
		return AppendResult{Err: ErrNotFound}
	}
	if !s.sendLimit.Allow(conversationID + "/" + string(a.Sender)) {
		return AppendResult{Err: Errorf(CodeRateLimited, "too many messages at once; wait a moment and send again")}
	}
	res := s.writer.Append(ctx, a)
	var se *storeError
	if res.Err != nil && asStoreError(res.Err, &se) {
		s.log.Error("storing a message failed", "error", se.cause)
		res.Err = Errorf(CodeUnavailable, "the message could not be stored; send it again")
	}
	return res
}

// Accept assigns a waiting conversation to a staff member with free capacity.
func (s *Service) Accept(ctx context.Context, p Principal, staff StaffInfo, conversationID string) (Conversation, error) {
	if !p.Role.IsStaff() {
		return Conversation{}, ErrNotFound
	}
	c, err := s.store.Conversation(ctx, conversationID)
	if err != nil {
		return Conversation{}, err
	}
	capacity, err := s.router.Accepting(ctx, staff, c)
	if err != nil {
		return Conversation{}, s.safe(err)
	}
	c, m, err := s.store.Assign(ctx, conversationID, p.StaffID, staff.DisplayName, capacity)
	if err != nil {
		// Could not take it after all (at capacity, or taken meanwhile):
		// let the offer go now, so that it goes to someone else at once
		// rather than when the offer times out.
		if ErrorCode(err) == CodeConflict {
			s.router.Decline(ctx, p.StaffID, conversationID)
		}
		return Conversation{}, s.safe(err)
	}
	s.router.Accepted(ctx, p.StaffID, c)
	s.hub.publish([]Message{m})
	s.publish(ctx, Event{Type: EventConversation, ConversationID: c.ID, StaffID: p.StaffID, Conversation: &c})
	s.publish(ctx, Event{Type: EventQueue})
	return c, nil
}

// End ends a conversation on behalf of its seeker or its counsellor.
func (s *Service) End(ctx context.Context, p Principal, conversationID, reason string) error {
	c, err := s.Conversation(ctx, p, conversationID)
	if err != nil {
		return err
	}
	endedBy := EndedByCounselor
	if p.Role == RoleSeeker {
		endedBy = EndedBySeeker
		if reason == EndedByLeft {
			endedBy = EndedByLeft
		}
	}
	c, m, err := s.store.End(ctx, c.ID, endedBy)
	if err != nil {
		return s.safe(err)
	}
	s.hub.publish([]Message{m})
	s.publish(ctx, Event{Type: EventConversation, ConversationID: c.ID, Conversation: &c})
	s.publish(ctx, Event{Type: EventQueue})
	return nil
}

// Leave is quick exit: the seeker's credential arrives by beacon and the
// conversation ends as "left". Leaving twice is not an error.
func (s *Service) Leave(ctx context.Context, token string) error {
	p, err := s.tokens.Verify(token)
	if err != nil || p.Role != RoleSeeker {
		return errBadToken
	}
	if err := s.End(ctx, p, p.ConversationID, EndedByLeft); err != nil && ErrorCode(err) != CodeConflict {
		return err
	}
	return nil
}

// Delete is "delete this conversation": the seeker's own conversation,
// ended first if need be, is removed with every message, leaving only the
// anonymous daily count. The counsellor is told it is gone.
func (s *Service) Delete(ctx context.Context, token string) error {
	p, err := s.tokens.Verify(token)
	if err != nil || p.Role != RoleSeeker {
		return errBadToken
	}
	if err := s.End(ctx, p, p.ConversationID, ""); err != nil && ErrorCode(err) != CodeConflict {
		return err
	}
	retention, ok := s.store.(Retention)
	if !ok {
		return Errorf(CodeInternal, "this store cannot delete")
	}
	c, err := s.store.Conversation(ctx, p.ConversationID)
	if err != nil {
		return err
	}
	if err := retention.DeleteConversation(ctx, c.ID); err != nil {
		return s.safe(err)
	}
	c.Status = StatusDeleted
	s.publish(ctx, Event{Type: EventConversation, ConversationID: c.ID, Conversation: &c})
	return nil
}

// Typing tells the other side of a conversation that p is (not) typing.
func (s *Service) Typing(ctx context.Context, p Principal, conversationID string, typing bool) {
	sender := SenderCounselor
	if p.Role == RoleSeeker {
		sender = SenderSeeker
	}
	s.publish(ctx, Event{Type: EventTyping, ConversationID: conversationID, Sender: sender, Typing: typing})
}

// Transfer hands a conversation on: to a named colleague who is on shift
// with room (to), or back to the queue for a skill ("any" for anyone). The
// note is for the next counsellor only.
func (s *Service) Transfer(ctx context.Context, p Principal, staff StaffInfo, conversationID, to, skill, note string) error {
	c, err := s.Conversation(ctx, p, conversationID)
	if err != nil {
		return err
	}
	if c.Status != StatusActive {
		return Errorf(CodeConflict, "only an active conversation can be transferred")
	}
	var m Message
	if to != "" {
		target, err := s.teamMember(ctx, to)
		if err != nil {
			return err
		}
		if target.ID == p.StaffID {
			return Errorf(CodeInvalid, "choose a colleague, not yourself")
		}
		if target.Status != "available" || target.Active >= target.Capacity {
			return Errorf(CodeConflict, "%s cannot take a conversation right now", target.DisplayName)
		}
		if !s.router.Trained(target, c) {
			return Errorf(CodeConflict, "%s is not trained for this conversation", target.DisplayName)
		}
		if c, m, err = s.store.Reassign(ctx, c.ID, p.StaffID, target.ID, target.DisplayName, target.Capacity); err != nil {
			return s.safe(err)
		}
	} else {
		required := Audience(skill)
		if skill == "any" {
			required = ""
		}
		if c, m, err = s.store.Requeue(ctx, c.ID, RequeueTransferred, PriorityReturned, required, p.StaffID); err != nil {
			return s.safe(err)
		}
	}
	if note != "" {
		if err := s.store.AddNote(ctx, Note{ConversationID: c.ID, StaffID: p.StaffID, StaffName: staff.DisplayName, Body: note}); err != nil {
			s.log.Error("storing a handover note failed", "error", err)
		}
	}
	s.hub.publish([]Message{m})
	s.publish(ctx, Event{Type: EventConversation, ConversationID: c.ID, StaffID: c.CounselorID, Conversation: &c})
	s.publish(ctx, Event{Type: EventQueue})
	return nil
}

// Requeue returns a conversation whose counsellor is gone to the front of
// the queue; the routing leader calls it after the grace time.
func (s *Service) Requeue(ctx context.Context, conversationID string, counselorID int64) error {
	c, m, err := s.store.Requeue(ctx, conversationID, RequeueCounselorLeft, PriorityReturned, "", 0)
	if err != nil {
		return err
	}
	s.hub.publish([]Message{m})
	s.publish(ctx, Event{Type: EventConversation, ConversationID: c.ID, Conversation: &c})
	s.publish(ctx, Event{Type: EventQueue})
	return nil
}

// Abandon ends a waiting conversation whose seeker left and did not come
// back within the grace time.
func (s *Service) Abandon(ctx context.Context, conversationID string) error {
	c, m, err := s.store.End(ctx, conversationID, EndedByAbandoned)
	if err != nil {
		return err
	}
	s.hub.publish([]Message{m})
	s.publish(ctx, Event{Type: EventConversation, ConversationID: c.ID, Conversation: &c})
	s.publish(ctx, Event{Type: EventQueue})
	return nil
}

// Offer tells a counsellor, wherever they are connected, that c is offered
// to them until the given time.
func (s *Service) Offer(ctx context.Context, staffID int64, c Conversation, until time.Time, languageFallback bool) {
	reason := ""
	if languageFallback {
		reason = "language_fallback"
	}
	s.publish(ctx, Event{Type: EventOffer, StaffID: staffID, ConversationID: c.ID, Conversation: &c, Until: until, Reason: reason})
}

// StaffChanged tells a staff member their status changed, and why.
func (s *Service) StaffChanged(ctx context.Context, m TeamMember, reason string) {
	s.publish(ctx, Event{Type: EventStaff, StaffID: m.ID, Member: &m, Reason: reason})
}

// TeamChanged tells every instance the team changed.
func (s *Service) TeamChanged(ctx context.Context) { s.publish(ctx, Event{Type: EventTeam}) }

func (s *Service) teamMember(ctx context.Context, staffID string) (TeamMember, error) {
	team, err := s.router.Team(ctx)
	if err != nil {
		return TeamMember{}, s.safe(err)
	}
	for _, m := range team {
		if m.StaffID == staffID {
			return m, nil
		}
	}
	return TeamMember{}, Errorf(CodeConflict, "that colleague is not on shift")
}

// SetStatus changes a counsellor's status and chosen capacity.
func (s *Service) SetStatus(ctx context.Context, p Principal, status string, capacity int) error {
	m, err := s.router.SetStatus(ctx, p.StaffID, status, capacity)
	if err != nil {
		return s.safe(err)
	}
	s.StaffChanged(ctx, m, "")
	s.TeamChanged(ctx)
	return nil
}

// Decline lets an offer pass on purpose.
func (s *Service) Decline(ctx context.Context, p Principal, conversationID string) error {
	if err := s.router.Decline(ctx, p.StaffID, conversationID); err != nil {
		return s.safe(err)
	}
	s.publish(ctx, Event{Type: EventQueue})
	return nil
}

// Notes returns a conversation's handover notes for the staff member who holds it.
func (s *Service) Notes(ctx context.Context, p Principal, conversationID string) ([]NoteView, error) {
	if _, err := s.Conversation(ctx, p, conversationID); err != nil {
		return nil, err
	}
	notes, err := s.store.Notes(ctx, conversationID)
	if err != nil {
		return nil, s.safe(err)
	}
	out := make([]NoteView, 0, len(notes))
	for _, n := range notes {
		out = append(out, NoteView{Name: n.StaffName, Body: n.Body, At: n.CreatedAt})
	}
	return out, nil
}

// safe keeps database errors out of what clients see.
func (s *Service) safe(err error) error {
	var e *Error
	if asError(err, &e) {
		return err
	}
	var closed *ClosedError
	if errors.As(err, &closed) {
		return err
	}
	s.log.Error("store operation failed", "error", err)
	return Errorf(CodeUnavailable, "please try again")
}
