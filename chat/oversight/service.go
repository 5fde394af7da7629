package oversight

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"helpline/chat"
	"helpline/chat/wire"
)

// Chat is what this package needs of chat; *chat.Service satisfies it.
type Chat interface {
	MayRead(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error)
	Push(ctx context.Context, to chat.Recipients, p wire.Payload) error
	Join(ctx context.Context, p chat.Principal, staff chat.StaffInfo, id string) (chat.Conversation, error)
	LeaveJoined(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error)
	TakeOver(ctx context.Context, p chat.Principal, staff chat.StaffInfo, id string) (chat.Conversation, int64, error)
}

// Auditor writes one row of the audit log; counselors.Service satisfies it.
type Auditor interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// Audit actions of this package (chat's are chat.AuditJoin, …).
const (
	AuditWhisper = "conversation.whisper"
	AuditRead    = "read" // as counselors.AuditRead: reading a conversation's whispers
)

// MaxWhisperChars bounds a whisper's text.
const MaxWhisperChars = 2000

// Config wires a Service.
type Config struct {
	Store    Store
	Chat     Chat
	Audit    Auditor
	Registry RegistryConfig
	Now      func() time.Time
	Log      *slog.Logger
}

// Service is supervision's use cases; see the package comment.
type Service struct {
	store    Store
	chat     Chat
	audit    Auditor
	registry *Registry
	now      func() time.Time
	log      *slog.Logger
}

// New builds a Service. Hand Registry() to chat.Service.SetWatchTracker
// and run Run.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Registry.Now == nil {
		cfg.Registry.Now = cfg.Now
	}
	if cfg.Registry.Log == nil {
		cfg.Registry.Log = cfg.Log
	}
	s := &Service{store: cfg.Store, chat: cfg.Chat, audit: cfg.Audit, now: cfg.Now, log: cfg.Log}
	s.registry = newRegistry(cfg.Store, cfg.Registry)
	s.registry.push = s.pushWatchers
	return s
}

// Registry is this instance's watcher registry: the chat.WatchTracker.
func (s *Service) Registry() *Registry { return s.registry }

// Run keeps this instance's watcher rows until ctx ends.
func (s *Service) Run(ctx context.Context) { s.registry.Run(ctx) }

func (s *Service) pushWatchers(ctx context.Context, id string, list []StaffRef) {
	if err := s.chat.Push(ctx, chat.Recipients{StaffOf: id}, WatchersFrame{ConversationID: id, Watchers: list}); err != nil {
		s.log.Warn("telling a conversation's staff who watches it failed", "error", err)
	}
}

// Watchers is who is watching a conversation now, on every instance.
func (s *Service) Watchers(ctx context.Context, conversationID string) ([]StaffRef, error) {
	return s.registry.Watchers(ctx, conversationID)
}

// AllWatchers is Watchers for many conversations in one read (nil: every
// conversation watched now).
func (s *Service) AllWatchers(ctx context.Context, ids []string) (map[string][]StaffRef, error) {
	return s.registry.AllWatchers(ctx, ids)
}

// WhisperView is a whisper as staff see it.
type WhisperView struct {
	ID     string    `json:"id"`
	FromID string    `json:"from_id"`
	From   string    `json:"from"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

func viewOf(w Whisper) WhisperView {
	return WhisperView{ID: w.ID, FromID: strconv.FormatInt(w.StaffID, 10), From: w.StaffName, Body: w.Body, At: w.CreatedAt}
}

// View is what a console shows of a conversation's supervision.
type View struct {
	ConversationID string        `json:"conversation_id"`
	Watchers       []StaffRef    `json:"watchers"`
	Joined         *StaffRef     `json:"joined"` // the colleague who joined it, or null
	Whispers       []WhisperView `json:"whispers"`
}

// supervisor is the rule for acting as one: a supervisor or admin, on a
// conversation they may read.
func (s *Service) supervisor(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error) {
	if p.Role != chat.RoleSupervisor && p.Role != chat.RoleAdmin {
		return chat.Conversation{}, chat.ErrNotFound
	}
	return s.chat.MayRead(ctx, p, id)
}

var errNotAudited = chat.Errorf(chat.CodeUnavailable, "this cannot be done right now because it could not be recorded; try again in a moment")

func (s *Service) record(ctx context.Context, p chat.Principal, action, id, detail string) error {
	if err := s.audit.Record(ctx, p.StaffID, action, "conversation:"+id, detail); err != nil {
		s.log.Error("refusing a supervision action: its audit row could not be written", "action", action, "error", err)
		return errNotAudited
	}
	return nil
}

// Whisper stores a supervisor's whisper to a conversation's counsellor(s)
// and tells the conversation's staff. A retry with the same clientID stores
// nothing new and answers the first whisper.
func (s *Service) Whisper(ctx context.Context, p chat.Principal, staff chat.StaffInfo, id, clientID, body string) (WhisperView, error) {
	if err := chat.CheckClientID(clientID); err != nil {
		return WhisperView{}, err
	}
	if err := chat.CheckText(body, MaxWhisperChars, false); err != nil {
		return WhisperView{}, err
	}
	c, err := s.supervisor(ctx, p, id)
	if err != nil {
		return WhisperView{}, err
	}
	if c.Status != chat.StatusActive {
		return WhisperView{}, chat.Errorf(chat.CodeConflict, "whispers go to a conversation's counsellor while it is active")
	}
	if err := s.record(ctx, p, AuditWhisper, id, clientID); err != nil {
		return WhisperView{}, err
	}
	w, dup, err := s.store.AddWhisper(ctx, Whisper{ID: chat.NewID(), ConversationID: id, StaffID: p.StaffID, StaffName: staff.DisplayName,
		ClientID: clientID, Body: body, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}) // as PostgreSQL keeps it
	if err != nil {
		return WhisperView{}, s.safe(err)
	}
	if !dup {
		if err := s.chat.Push(ctx, chat.Recipients{StaffOf: id}, WhisperFrame{ConversationID: id, ID: w.ID}); err != nil {
			s.log.Warn("telling a conversation's staff of a whisper failed; they see it when they next fetch", "error", err)
		}
	}
	return viewOf(w), nil
}

// View is a conversation's supervision for a staff member who takes part
// in it or may read it: who watches, who joined, the whispers. Never for a
// seeker. Reading the whispers is audited, and refused when it cannot be.
func (s *Service) View(ctx context.Context, p chat.Principal, id string) (View, error) {
	if !p.Role.IsStaff() {
		return View{}, chat.ErrNotFound
	}
	c, err := s.chat.MayRead(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if err := s.record(ctx, p, AuditRead, id, "whispers"); err != nil {
		return View{}, err
	}
	ws, err := s.store.Whispers(ctx, id)
	if err != nil {
		return View{}, s.safe(err)
	}
	watchers, err := s.Watchers(ctx, id)
	if err != nil {
		return View{}, s.safe(err)
	}
	v := View{ConversationID: id, Watchers: watchers, Whispers: make([]WhisperView, 0, len(ws))}
	for _, w := range ws {
		v.Whispers = append(v.Whispers, viewOf(w))
	}
	if c.JoinedID != 0 {
		v.Joined = &StaffRef{ID: strconv.FormatInt(c.JoinedID, 10), Name: c.JoinedName}
	}
	return v, nil
}

// Join makes the supervisor a second participant (chat.Service.Join).
func (s *Service) Join(ctx context.Context, p chat.Principal, staff chat.StaffInfo, id string) (chat.Conversation, error) {
	return s.chat.Join(ctx, p, staff, id)
}

// Leave ends the supervisor's join (chat.Service.LeaveJoined).
func (s *Service) Leave(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error) {
	return s.chat.LeaveJoined(ctx, p, id)
}

// TakeOver moves the conversation to the supervisor (chat.Service.TakeOver)
// and tells the counsellor who held it, on each of their consoles.
func (s *Service) TakeOver(ctx context.Context, p chat.Principal, staff chat.StaffInfo, id string) (chat.Conversation, error) {
	c, from, err := s.chat.TakeOver(ctx, p, staff, id)
	if err != nil || from == 0 {
		return c, err
	}
	if err := s.chat.Push(ctx, chat.Recipients{Staff: []int64{from}}, TakenOverFrame{ConversationID: id, By: staff.DisplayName}); err != nil {
		s.log.Warn("telling a counsellor their conversation was taken over failed; their console saw it move", "error", err)
	}
	return c, nil
}

// safe keeps store errors out of what clients see.
func (s *Service) safe(err error) error {
	var e *chat.Error
	if errors.As(err, &e) {
		return err
	}
	s.log.Error("supervision store operation failed", "error", err)
	return chat.Errorf(chat.CodeUnavailable, "please try again")
}
