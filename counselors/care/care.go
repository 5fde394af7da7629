package care

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"helpline/chat"
	"helpline/chat/wire"
)

// Pusher is the push door (*chat.Service).
type Pusher interface {
	Push(ctx context.Context, to chat.Recipients, p wire.Payload) error
}

// Team lists the staff on shift now (the server hands in routing's team),
// for the supervisors' near-or-past-the-cap column.
type Team interface {
	OnShift(ctx context.Context) ([]int64, error)
}

// Conversations reads a conversation as chat stores it (chat.Store).
type Conversations interface {
	Conversation(ctx context.Context, id string) (chat.Conversation, error)
}

// Audit writes one row of the audit log (*counselors.Service.Record).
type Audit interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// Defaults of Config.
const (
	DefaultCap       = 5 * time.Hour
	DefaultCapNotice = 30 * time.Minute
	DefaultShiftGap  = 6 * time.Hour
	DefaultRetention = 14 * 24 * time.Hour
)

// Config sets a Service's rules.
type Config struct {
	Store Store
	Chat  Pusher
	Team  Team
	Audit Audit
	// Conversations and Leading: Run checks the open spells against the
	// conversations (Reconcile) where Leading says so (nil: everywhere).
	Conversations Conversations
	Leading       func() bool
	// Cap is the daily exposure cap: time in conversations in one shift.
	Cap time.Duration
	// CapNotice is how long before the cap the staff member is told.
	CapNotice time.Duration
	// BreakAfterHighRisk: suggest a break when a high-risk conversation ends.
	BreakAfterHighRisk bool
	// ShiftGap: a pause this long without conversations or breaks begins a new shift.
	ShiftGap time.Duration
	// Retention: how long everything is kept (HELPLINE_CARE_DAYS).
	Retention time.Duration
	Now       chat.Clock
	Log       *slog.Logger
}

// Service is the whole rule for care figures: who may see them, and what
// the service says when.
type Service struct {
	cfg   Config
	clock atomic.Pointer[chat.Clock] // Config.Now, or SetClock's
}

// New returns a Service; zero durations take the defaults.
func New(cfg Config) *Service {
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&cfg.Cap, DefaultCap}, {&cfg.CapNotice, DefaultCapNotice}, {&cfg.ShiftGap, DefaultShiftGap}, {&cfg.Retention, DefaultRetention}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Service{cfg: cfg}
	s.SetClock(cfg.Now)
	return s
}

// SetClock replaces the clock every figure is read by, at any time: for
// tests that step a running server's clock past the cap.
func (s *Service) SetClock(now chat.Clock) { s.clock.Store(&now) }

func (s *Service) now() time.Time { return (*s.clock.Load())().UTC() }

func (s *Service) rules() rules {
	return rules{cap: s.cfg.Cap, notice: s.cfg.CapNotice, gap: s.cfg.ShiftGap, suggest: s.cfg.BreakAfterHighRisk}
}

// Frame is the one frame this package pushes (type "care"), to one staff
// member: an event name only; the console reads its figures over HTTP.
type Frame struct {
	Event string `json:"event"` // break_suggested, updated
}

// FrameType implements wire.Payload.
func (Frame) FrameType() string { return "care" }

// Frame events.
const (
	EventBreakSuggested = "break_suggested"
	EventUpdated        = "updated"
)

// ConversationChanged implements chat.ConversationObserver: whoever takes
// part in an active conversation has a spell in it; whoever stopped taking
// part has theirs ended, is told their figures changed, and after a
// high-risk one is offered a break (when the rule is on).
func (s *Service) ConversationChanged(ctx context.Context, c chat.Conversation) {
	s.changed(ctx, c.ID, holdersOf(c))
}

// holdersOf is who takes part in c now.
func holdersOf(c chat.Conversation) []int64 {
	var holders []int64
	if c.Status == chat.StatusActive {
		for _, id := range []int64{c.CounselorID, c.JoinedID} {
			if id != 0 {
				holders = append(holders, id)
			}
		}
	}
	return holders
}

func (s *Service) changed(ctx context.Context, conversationID string, holders []int64) {
	ended, err := s.cfg.Store.Changed(ctx, conversationID, holders, s.now())
	if err != nil {
		s.cfg.Log.Warn("recording time in a conversation for care figures failed; the figures will be short", "error", err)
		return
	}
	for _, sp := range ended {
		event := EventUpdated
		if s.cfg.BreakAfterHighRisk && (sp.HighRisk || sp.Escalated) {
			event = EventBreakSuggested
		}
		s.push(ctx, sp.StaffID, event)
	}
}

func (s *Service) push(ctx context.Context, staffID int64, event string) {
	if s.cfg.Chat == nil {
		return
	}
	if err := s.cfg.Chat.Push(ctx, chat.Recipients{Staff: []int64{staffID}}, Frame{Event: event}); err != nil {
		s.cfg.Log.Warn("telling a staff member their care figures changed failed; the console reads them again within a minute", "error", err)
	}
}

// Flagged marks a conversation high-risk: a risk flag was raised in it.
func (s *Service) Flagged(ctx context.Context, conversationID string) {
	s.mark(ctx, conversationID, MarkRiskFlag)
}

// Escalated marks a conversation escalated (and so high-risk). Debriefs are
// not escalations of a conversation; the caller leaves them out.
func (s *Service) Escalated(ctx context.Context, conversationID string) {
	s.mark(ctx, conversationID, MarkEscalation)
}

func (s *Service) mark(ctx context.Context, conversationID string, m Mark) {
	if !chat.IsUUID(conversationID) {
		return
	}
	if err := s.cfg.Store.Mark(ctx, conversationID, m, s.now()); err != nil {
		s.cfg.Log.Warn("marking a conversation high-risk for care figures failed", "error", err)
	}
}

// OnStatus records breaks from status changes (routing.Config.OnStatus):
// "break" begins one, any other status ends it.
func (s *Service) OnStatus(ctx context.Context, staffID int64, status string) {
	if err := s.cfg.Store.Break(ctx, staffID, status == "break", s.now()); err != nil && ctx.Err() == nil {
		s.cfg.Log.Warn("recording a break for care figures failed", "error", err)
	}
}

// errNotFound is every refusal: what a caller may not see looks like what
// does not exist.
var errNotFound = chat.Errorf(chat.CodeNotFound, "not found")

// mayHaveFigures: the roles that take conversations.
func mayHaveFigures(r chat.Role) bool { return r == chat.RoleCounselor || r == chat.RoleSupervisor }

// Mine is the caller's own figures: for counsellors and supervisors.
func (s *Service) Mine(ctx context.Context, p chat.Principal) (Figures, error) {
	if !mayHaveFigures(p.Role) {
		return Figures{}, errNotFound
	}
	return s.figures(ctx, p.StaffID)
}

// Of is a staff member's figures, for supervisors only; the read is audited
// and refused when it cannot be.
func (s *Service) Of(ctx context.Context, p chat.Principal, staffID int64) (Figures, error) {
	if p.Role != chat.RoleSupervisor || staffID <= 0 {
		return Figures{}, errNotFound
	}
	if s.cfg.Audit != nil {
		if err := s.cfg.Audit.Record(ctx, p.StaffID, "read", fmt.Sprintf("care:%d", staffID), ""); err != nil {
			return Figures{}, chat.Errorf(chat.CodeUnavailable, "the figures cannot be read right now because the reading could not be recorded; try again in a moment")
		}
	}
	return s.figures(ctx, staffID)
}

func (s *Service) figures(ctx context.Context, staffID int64) (Figures, error) {
	now := s.now()
	acts, err := s.cfg.Store.Activity(ctx, []int64{staffID}, now.Add(-Week))
	if err != nil {
		return Figures{}, err
	}
	return figuresOf(staffID, acts[staffID], now, s.rules()), nil
}

// TeamEntry is one on-shift staff member's place against the cap.
type TeamEntry struct {
	StaffID  int64
	Exposure time.Duration // time in conversations this shift
	CapState string
}

// Team lists, for supervisors only, every staff member on shift with their
// exposure this shift and where it stands against the cap.
func (s *Service) Team(ctx context.Context, p chat.Principal) ([]TeamEntry, error) {
	if p.Role != chat.RoleSupervisor {
		return nil, errNotFound
	}
	if s.cfg.Team == nil {
		return []TeamEntry{}, nil
	}
	ids, err := s.cfg.Team.OnShift(ctx)
	if err != nil || len(ids) == 0 {
		return []TeamEntry{}, err
	}
	now := s.now()
	// A shift longer than a day is counted from a day ago.
	acts, err := s.cfg.Store.Activity(ctx, ids, now.Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	out := make([]TeamEntry, 0, len(ids))
	for _, id := range ids {
		f := figuresOf(id, acts[id], now, s.rules())
		out = append(out, TeamEntry{StaffID: id, Exposure: f.Shift.ConversationTime, CapState: f.CapState})
	}
	return out, nil
}

// Settings are the rules as the console shows them.
func (s *Service) Settings() (capTime, notice time.Duration, breakAfterHighRisk bool) {
	return s.cfg.Cap, s.cfg.CapNotice, s.cfg.BreakAfterHighRisk
}

// Expire deletes what is older than Config.Retention before now.
func (s *Service) Expire(ctx context.Context, now time.Time) (int, error) {
	return s.cfg.Store.Expire(ctx, now.Add(-s.cfg.Retention))
}

// reconcileAfter: spells younger than this are not checked (their change
// is probably just being told).
const reconcileAfter = time.Minute

// Reconcile checks each open spell against its conversation as stored, and
// records the change that was missed (a hook that failed, an instance that
// stopped between the store's commit and the hook): else a missed end
// would count as time in a conversation until retention. It returns how
// many conversations it corrected.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	if s.cfg.Conversations == nil {
		return 0, nil
	}
	now := s.now()
	if _, err := s.cfg.Store.EndUnlinked(ctx, now); err != nil {
		return 0, err
	}
	open, err := s.cfg.Store.Open(ctx, now.Add(-reconcileAfter))
	if err != nil {
		return 0, err
	}
	byConversation := map[string][]int64{}
	for _, o := range open {
		byConversation[o.ConversationID] = append(byConversation[o.ConversationID], o.StaffID)
	}
	n := 0
	for id, staff := range byConversation {
		c, err := s.cfg.Conversations.Conversation(ctx, id)
		if err != nil && chat.ErrorCode(err) != chat.CodeNotFound {
			return n, err
		}
		holders := holdersOf(c) // none, if it is gone
		for _, who := range staff {
			if !slices.Contains(holders, who) {
				s.changed(ctx, id, holders)
				n++
				break
			}
		}
	}
	return n, nil
}

// Run, until ctx ends, reconciles open spells every interval (where
// Config.Leading says so) and deletes expired figures about once an hour,
// as the conversations' retention does (chat.RunRetention).
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var expired time.Time
	for {
		now := s.now()
		if s.cfg.Leading == nil || s.cfg.Leading() {
			if _, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Log.Warn("checking care figures against the conversations failed; will retry", "error", err)
			}
		}
		if now.Sub(expired) >= time.Hour {
			expired = now
			if n, err := s.Expire(ctx, now); err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("deleting expired care figures failed; will retry", "error", err)
			} else if n > 0 {
				s.cfg.Log.Info("deleted expired care figures", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
