package escalation

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"helpline/chat"
	"helpline/chat/wire"
)

// Chat is what this package needs of the chat service (*chat.Service):
// the push door, and the rule for "a conversation this staff member holds".
type Chat interface {
	Push(ctx context.Context, to chat.Recipients, p wire.Payload) error
	Conversation(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error)
}

// Audit writes one row of the audit log (*counselors.Service.Record).
type Audit interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// Presence tells who of the staff is on shift now, on any instance, with
// their roles: the server builds it from routing's presence (staff
// connected to some instance, heard from within the grace time, status on
// shift) and the accounts' roles. Supervisors and admins with the
// supervisor page open are on shift as well (Store.Watchers).
type Presence interface {
	OnShift(ctx context.Context) (map[int64]chat.Role, error)
}

// Defaults of Config.
var (
	DefaultDeadlines = map[Urgency]time.Duration{UrgencyNow: 2 * time.Minute, UrgencySoon: 10 * time.Minute, UrgencyWhenPossible: 60 * time.Minute}
	// DefaultOutOfHours is what a counsellor reads when nobody is on shift
	// to take their escalation.
	DefaultOutOfHours = map[string]string{
		"en": "No supervisor is on shift right now. Follow your service's out-of-hours procedure. Your escalation is recorded and will be seen when a supervisor comes on shift.",
		"es": "Ahora no hay ningún supervisor de turno. Sigue el procedimiento fuera de horario de tu servicio. Tu aviso queda registrado y lo verá el próximo supervisor que entre de turno.",
	}
)

const (
	// DefaultCheckEvery is how often each instance looks for missed deadlines.
	DefaultCheckEvery = 5 * time.Second
	// DefaultWatchFor is how long a supervisor page counts as open after it
	// last asked for the open escalations (it asks every 30 seconds).
	DefaultWatchFor = 90 * time.Second
	// mineFor is how far back a counsellor's own resolved escalations are listed.
	mineFor = 24 * time.Hour
)

// Config sets a Service's rules.
type Config struct {
	Deadlines  map[Urgency]time.Duration // acknowledgement deadline per urgency
	OutOfHours map[string]string         // language → the text for "nobody is on shift"
	CheckEvery time.Duration
	WatchFor   time.Duration
	// Retention: how long a resolved debrief that belongs to no
	// conversation is kept (the others go with their conversation); 0: 30 days.
	Retention time.Duration
	Now       chat.Clock
	Log       *slog.Logger
}

// Service is the whole rule for each escalation action.
type Service struct {
	cfg      Config
	store    Store
	chat     Chat
	audit    Audit
	presence Presence
	onRaised func(ctx context.Context, e Escalation) // OnRaised (hooks.go)
}

// New returns a Service. presence may be nil (only supervisor pages count).
func New(cfg Config, store Store, c Chat, audit Audit, presence Presence) *Service {
	if cfg.Deadlines == nil {
		cfg.Deadlines = map[Urgency]time.Duration{}
	}
	for u, d := range DefaultDeadlines {
		if cfg.Deadlines[u] <= 0 {
			cfg.Deadlines[u] = d
		}
	}
	texts := map[string]string{}
	for lang, text := range DefaultOutOfHours {
		texts[lang] = text
	}
	for lang, text := range cfg.OutOfHours {
		if strings.TrimSpace(text) != "" {
			texts[lang] = text
		}
	}
	cfg.OutOfHours = texts
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = DefaultCheckEvery
	}
	if cfg.WatchFor <= 0 {
		cfg.WatchFor = DefaultWatchFor
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{cfg: cfg, store: store, chat: c, audit: audit, presence: presence}
}

// OutOfHours is the "nobody is on shift" text per language.
func (s *Service) OutOfHours() map[string]string { return s.cfg.OutOfHours }

// Deadline is the acknowledgement deadline of an urgency.
func (s *Service) Deadline(u Urgency) time.Duration { return s.cfg.Deadlines[u] }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Request is what a counsellor sends to raise an escalation.
type Request struct {
	RequestID      string
	ConversationID string // optional for a debrief
	Reason         Reason
	Urgency        Urgency // ignored for a debrief (always when_possible)
	Note           string
}

// Result is what raising did: the escalation, whether it is new, and
// whether anybody is on shift to hear it now.
type Result struct {
	Escalation    Escalation
	How           Raised
	NobodyOnShift bool
}

// Raise is the rule for a counsellor's escalation or debrief request. The
// conversation, if named, must be one they hold; admins raise none.
func (s *Service) Raise(ctx context.Context, p chat.Principal, staff chat.StaffInfo, req Request) (Result, error) {
	if p.Role != chat.RoleCounselor && p.Role != chat.RoleSupervisor {
		return Result{}, errNotFound
	}
	if err := checkRequest(&req); err != nil {
		return Result{}, err
	}
	if req.ConversationID != "" {
		if _, err := s.chat.Conversation(ctx, p, req.ConversationID); err != nil {
			if chat.ErrorCode(err) == chat.CodeNotFound {
				return Result{}, errNotFound
			}
			return Result{}, err
		}
	}
	return s.raise(ctx, p.StaffID, staff.DisplayName, req)
}

// RaiseAutomatic raises an escalation of urgency "now" for a conversation
// on the service's own account (actor "system", staff id 0): for rules
// such as risk flags that open one without a person asking. Its note says
// it was raised automatically. Raising again for the same conversation and
// reason adds the note to the open one. It sends nothing outside the service.
func (s *Service) RaiseAutomatic(ctx context.Context, conversationID string, reason Reason, note string) (Escalation, error) {
	if reason == ReasonDebrief || !reason.Valid() || !chat.IsUUID(conversationID) {
		return Escalation{}, chat.Errorf(chat.CodeInvalid, "an automatic escalation needs a conversation and a reason other than debrief")
	}
	if !strings.HasPrefix(note, AutomaticPrefix) {
		note = AutomaticPrefix + note
	}
	if r := []rune(note); len(r) > MaxNoteChars { // a rule's long match is cut, not refused
		note = string(r[:MaxNoteChars-1]) + "…"
	}
	req := Request{RequestID: chat.NewID(), ConversationID: conversationID, Reason: reason, Urgency: UrgencyNow, Note: note}
	if err := checkRequest(&req); err != nil {
		return Escalation{}, err
	}
	r, err := s.raise(ctx, SystemActor, "", req)
	return r.Escalation, err
}

// AutomaticPrefix begins the note of every automatic escalation.
const AutomaticPrefix = "raised automatically: "

func checkRequest(req *Request) error {
	req.Note = strings.TrimSpace(req.Note)
	req.RequestID = strings.TrimSpace(req.RequestID)
	if req.Reason == ReasonDebrief {
		req.Urgency = UrgencyWhenPossible
	}
	switch {
	case req.RequestID == "" || len(req.RequestID) > 64:
		return chat.Errorf(chat.CodeInvalid, "request_id is required: a string of 1 to 64 characters, new for each escalation (a retry sends the same one)")
	case !req.Reason.Valid():
		return chat.Errorf(chat.CodeInvalid, "reason must be one of %v", Reasons)
	case !req.Urgency.Valid():
		return chat.Errorf(chat.CodeInvalid, "urgency must be one of %v", Urgencies)
	case utf8.RuneCountInString(req.Note) > MaxNoteChars:
		return chat.Errorf(chat.CodeInvalid, "the note is longer than %d characters", MaxNoteChars)
	case req.ConversationID == "" && req.Reason != ReasonDebrief:
		return chat.Errorf(chat.CodeInvalid, "conversation_id is required, except for a debrief")
	case req.ConversationID != "" && !chat.IsUUID(req.ConversationID):
		return errNotFound
	}
	return nil
}

func (s *Service) raise(ctx context.Context, staffID int64, name string, req Request) (Result, error) {
	sup, admins, err := s.onShift(ctx)
	if err != nil {
		return Result{}, err
	}
	nobody := len(sup) == 0 && len(admins) == 0
	target := "debrief"
	if req.ConversationID != "" {
		target = "conversation:" + req.ConversationID
	}
	// Audited first, as every control action is (PROTOCOL.md §3.10): no row, no escalation.
	if err := s.audit.Record(ctx, staffID, "escalation.raise", target, fmt.Sprintf("request=%s reason=%s urgency=%s nobody_on_shift=%v",
		req.RequestID, req.Reason, req.Urgency, nobody)); err != nil {
		return Result{}, errNotAudited
	}
	now := s.now()
	e, how, err := s.store.Raise(ctx, Raise{ID: chat.NewID(), NoteID: chat.NewID(), RequestID: req.RequestID,
		ConversationID: req.ConversationID, StaffID: staffID, StaffName: name, Reason: req.Reason, Urgency: req.Urgency,
		Note: req.Note, At: now, DueAt: now.Add(s.cfg.Deadlines[req.Urgency]), NobodyOnShift: nobody})
	if err != nil || how == Repeated {
		return Result{Escalation: e, How: how, NobodyOnShift: nobody}, err
	}
	event := EventRaised
	if how == Added {
		event = EventUpdated
	}
	alerted := sup
	if len(alerted) == 0 {
		alerted = admins // with no supervisor on shift, the admins on shift hear it
	}
	// The care figures first, so that whoever the alert reaches reads them
	// with this escalation counted (one small write).
	s.tellRaised(ctx, e)
	s.push(ctx, event, e, alerted)
	return Result{Escalation: e, How: how, NobodyOnShift: nobody}, nil
}

// onShift lists the supervisors and the admins on shift now.
func (s *Service) onShift(ctx context.Context) (supervisors, admins []int64, err error) {
	roles, err := s.store.Watchers(ctx, s.now().Add(-s.cfg.WatchFor))
	if err != nil {
		return nil, nil, err
	}
	if s.presence != nil {
		more, err := s.presence.OnShift(ctx)
		if err != nil {
			return nil, nil, err
		}
		for id, r := range more {
			roles[id] = r
		}
	}
	for id, r := range roles {
		switch r {
		case chat.RoleSupervisor:
			supervisors = append(supervisors, id)
		case chat.RoleAdmin:
			admins = append(admins, id)
		}
	}
	slices.Sort(supervisors)
	slices.Sort(admins)
	return supervisors, admins, nil
}

// push tells staff what happened to e: the given supervisors or admins,
// whoever raised it, and the staff of its conversation.
func (s *Service) push(ctx context.Context, event string, e Escalation, staff []int64) {
	to := chat.Recipients{Staff: slices.Clone(staff), StaffOf: e.ConversationID}
	if e.RaisedBy != SystemActor {
		to.Staff = append(to.Staff, e.RaisedBy)
	}
	if len(to.Staff) == 0 && to.StaffOf == "" {
		return
	}
	if err := s.chat.Push(ctx, to, frameOf(event, e)); err != nil {
		s.cfg.Log.Error("telling staff about an escalation failed", "event", event, "escalation", e.ID, "error", err)
	}
}

// recordFirst writes the audit row of an action before it is done, and
// refuses the action when the row cannot be written.
func (s *Service) recordFirst(ctx context.Context, actor int64, action, id, detail string) error {
	if err := s.audit.Record(ctx, actor, action, "escalation:"+id, detail); err != nil {
		s.cfg.Log.Error("refusing an escalation action: its audit row could not be written", "action", action, "error", err)
		return errNotAudited
	}
	return nil
}

// recordAfter writes the audit row of what the service did by itself (a
// missed deadline); a failure is logged, since the re-alert must still go.
func (s *Service) recordAfter(ctx context.Context, action string, e Escalation, detail string) {
	if err := s.audit.Record(ctx, SystemActor, action, "escalation:"+e.ID, detail); err != nil {
		s.cfg.Log.Error("writing the audit log failed", "action", action, "error", err)
	}
}
