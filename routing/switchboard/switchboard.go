package switchboard

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"helpline/chat"
	"helpline/chat/wire"
	"helpline/routing"
)

// Pause is one paused skill: the audience, the language ("" for every
// language), who paused it and since when.
type Pause struct {
	Audience chat.Audience
	Language string
	ByID     int64
	ByName   string
	Since    time.Time
}

// Store keeps the pauses. Put stores p unless its skill is already paused,
// and returns the pause that stands; Delete removes a skill's pause (ok
// false when there was none); List returns them all, oldest first.
type Store interface {
	Put(ctx context.Context, p Pause) (stands Pause, created bool, err error)
	Delete(ctx context.Context, audience chat.Audience, language string) (ok bool, err error)
	List(ctx context.Context) ([]Pause, error)
}

// Chat is what the switchboard needs of the chat service.
type Chat interface {
	Push(ctx context.Context, to chat.Recipients, p wire.Payload) error
}

// Auditor writes the audit log (counselors.Service.Record).
type Auditor interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// Audit actions.
const (
	AuditPause  = "switchboard.pause"
	AuditResume = "switchboard.resume"
)

// Service is the switchboard.
type Service struct {
	store     Store
	chat      Chat
	audit     Auditor
	languages map[string]bool
	now       chat.Clock
	log       *slog.Logger
}

// New returns the switchboard. languages are those a seeker may choose.
func New(store Store, c Chat, audit Auditor, languages map[string]bool, now chat.Clock, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: store, chat: c, audit: audit, languages: languages, now: now, log: log}
}

var _ routing.Pauses = (*Service)(nil)

// PausedSkills implements routing.Pauses.
func (s *Service) PausedSkills(ctx context.Context) ([]routing.PausedSkill, error) {
	ps, err := s.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]routing.PausedSkill, 0, len(ps))
	for _, p := range ps {
		out = append(out, routing.PausedSkill{Audience: p.Audience, Language: p.Language})
	}
	return out, nil
}

// List returns the pauses now, for any staff member.
func (s *Service) List(ctx context.Context) ([]Pause, error) { return s.store.List(ctx) }

func mayUse(p chat.Principal) error {
	if p.Role != chat.RoleSupervisor && p.Role != chat.RoleAdmin {
		return chat.ErrNotFound
	}
	return nil
}

func (s *Service) check(audience chat.Audience, language string) error {
	if !audience.Valid() {
		return chat.Errorf(chat.CodeInvalid, "audience must be self, young, other or empty")
	}
	if language != "" && !s.languages[language] {
		return chat.Errorf(chat.CodeInvalid, "language %q is not offered", language)
	}
	return nil
}

func target(audience chat.Audience, language string) string {
	return "skill:" + string(audience) + "/" + language
}

// Pause pauses offers for a skill on behalf of a supervisor or admin
// (anyone else: not found). Pausing a paused skill changes nothing and
// answers the pause that stands.
func (s *Service) Pause(ctx context.Context, p chat.Principal, name string, audience chat.Audience, language string) (Pause, error) {
	if err := mayUse(p); err != nil {
		return Pause{}, err
	}
	if err := s.check(audience, language); err != nil {
		return Pause{}, err
	}
	all, err := s.store.List(ctx)
	if err != nil {
		return Pause{}, unavailable(s.log, err)
	}
	if i := slices.IndexFunc(all, func(q Pause) bool { return q.Audience == audience && q.Language == language }); i >= 0 {
		return all[i], nil
	}
	if err := s.audit.Record(ctx, p.StaffID, AuditPause, target(audience, language), ""); err != nil {
		return Pause{}, chat.Errorf(chat.CodeUnavailable, "the pause could not be recorded; nothing changed, try again")
	}
	stands, created, err := s.store.Put(ctx, Pause{Audience: audience, Language: language, ByID: p.StaffID, ByName: name, Since: s.now().UTC()})
	if err != nil {
		return Pause{}, unavailable(s.log, err)
	}
	if created {
		s.announce(ctx)
	}
	return stands, nil
}

// Resume lets the router offer a skill again. Resuming a skill that is not
// paused changes nothing.
func (s *Service) Resume(ctx context.Context, p chat.Principal, audience chat.Audience, language string) error {
	if err := mayUse(p); err != nil {
		return err
	}
	if err := s.check(audience, language); err != nil {
		return err
	}
	all, err := s.store.List(ctx)
	if err != nil {
		return unavailable(s.log, err)
	}
	if !slices.ContainsFunc(all, func(q Pause) bool { return q.Audience == audience && q.Language == language }) {
		return nil
	}
	if err := s.audit.Record(ctx, p.StaffID, AuditResume, target(audience, language), ""); err != nil {
		return chat.Errorf(chat.CodeUnavailable, "the change could not be recorded; nothing changed, try again")
	}
	ok, err := s.store.Delete(ctx, audience, language)
	if err != nil {
		return unavailable(s.log, err)
	}
	if ok {
		s.announce(ctx)
	}
	return nil
}

func unavailable(log *slog.Logger, err error) error {
	if chat.ErrorCode(err) != chat.CodeInternal {
		return err
	}
	log.Error("the switchboard store failed", "error", err)
	return chat.Errorf(chat.CodeUnavailable, "please try again")
}

// announce tells every connected staff member the pauses now. A console
// that misses it (not connected then) reads them over HTTP when it loads.
func (s *Service) announce(ctx context.Context) {
	all, err := s.store.List(ctx)
	if err == nil {
		err = s.chat.Push(ctx, chat.Recipients{Roles: []chat.Role{chat.RoleCounselor, chat.RoleSupervisor, chat.RoleAdmin}}, NewFrame(all))
	}
	if err != nil {
		s.log.Warn("telling consoles about the switchboard failed; they see it when they next load", "error", err)
	}
}

// View is a pause on the wire.
type View struct {
	Audience chat.Audience `json:"audience"`
	Language string        `json:"language"`
	By       string        `json:"by"`
	Since    time.Time     `json:"since"`
}

// Views turns pauses into their wire form ([] for none).
func Views(ps []Pause) []View {
	out := make([]View, 0, len(ps))
	for _, p := range ps {
		out = append(out, View{Audience: p.Audience, Language: p.Language, By: p.ByName, Since: p.Since.UTC()})
	}
	return out
}

// Frame is the `switchboard` frame: every pause now.
type Frame struct {
	Paused []View `json:"paused"`
}

// FrameType implements wire.Payload.
func (Frame) FrameType() string { return "switchboard" }

// NewFrame is the frame for these pauses.
func NewFrame(ps []Pause) Frame { return Frame{Paused: Views(ps)} }
