package wrapup

import (
	"context"
	"maps"
	"time"

	"helpline/chat"
)

// Wrapup is one conversation's wrap-up: a draft until Done.
type Wrapup struct {
	ConversationID string            `json:"conversation_id"`
	FormVersion    string            `json:"form_version"`
	Answers        map[string]string `json:"answers"`
	Done           bool              `json:"done"`
	UpdatedBy      int64             `json:"-"`
	UpdatedAt      time.Time         `json:"updated_at"`
	CompletedAt    time.Time         `json:"completed_at,omitzero"`
}

// Count is one anonymous daily count: how many wrap-ups completed on Day
// (UTC) with form FormVersion answered Field with Value. Field "_completed"
// (value "yes") counts the wrap-ups themselves.
type Count struct {
	Day         time.Time `json:"day"`
	FormVersion string    `json:"form_version"`
	Field       string    `json:"field"`
	Value       string    `json:"value"`
	N           int64     `json:"n"`
}

// CompletedField is the count of wrap-ups themselves.
const CompletedField = "_completed"

// Store keeps wrap-ups and counts. Both stores pass store_test.go.
type Store interface {
	// Get returns a conversation's wrap-up; chat.ErrNotFound when none.
	Get(ctx context.Context, conversationID string) (Wrapup, error)
	// SaveDraft stores w as a draft: CodeConflict when it is done, not
	// found when the conversation is not there.
	SaveDraft(ctx context.Context, w Wrapup) error
	// Complete stores w as done and adds one to the count of each of its
	// answers (and of CompletedField) for day, in one transaction. When the
	// wrap-up was already done it changes nothing and returns the stored one.
	Complete(ctx context.Context, w Wrapup, day time.Time) (Wrapup, error)
	// Counts returns the counts of the days from..to (both included, UTC
	// dates), by day, version, field and value.
	Counts(ctx context.Context, from, to time.Time) ([]Count, error)
}

// Conversations is chat's take-part rule (*chat.Service implements it).
type Conversations interface {
	Conversation(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error)
}

// Auditor writes the audit log (counselors.Service implements it).
type Auditor interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// Audit actions.
const (
	AuditDraft    = "wrapup.draft"
	AuditComplete = "wrapup.complete"
)

// Service is the rule for wrap-ups.
type Service struct {
	form     Form   // the form it was made with
	versions *forms // nil: the form is fixed (no UseVersions)
	store    Store
	chat     Conversations
	audit    Auditor
	now      chat.Clock
}

// New returns the service for form; now nil is time.Now.
func New(form Form, store Store, conversations Conversations, audit Auditor, now chat.Clock) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{form: form, store: store, chat: conversations, audit: audit, now: now}
}

// Form returns (a copy of) the current form as last checked, without
// asking the store.
func (s *Service) Form() Form {
	if fs := s.versions; fs != nil {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		return copyForm(fs.current)
	}
	return copyForm(s.form)
}

// Get returns the wrap-up of a conversation p holds: the stored draft or
// done wrap-up, else an empty draft of the current form.
func (s *Service) Get(ctx context.Context, p chat.Principal, conversationID string) (Wrapup, error) {
	if _, err := s.take(ctx, p, conversationID); err != nil {
		return Wrapup{}, err
	}
	w, err := s.store.Get(ctx, conversationID)
	if chat.ErrorCode(err) == chat.CodeNotFound {
		return Wrapup{ConversationID: conversationID, FormVersion: s.currentForm(ctx).Version, Answers: map[string]string{}}, nil
	}
	if err != nil {
		return Wrapup{}, unavailable(err)
	}
	return w, nil
}

// SaveDraft keeps the answers so far (any subset of the form's fields),
// whoever holds the conversation next sees them. A draft keeps the version
// of the form it was started with; a new one is written with the current.
func (s *Service) SaveDraft(ctx context.Context, p chat.Principal, conversationID string, answers map[string]string) (Wrapup, error) {
	if _, err := s.take(ctx, p, conversationID); err != nil {
		return Wrapup{}, err
	}
	form, err := s.formFor(ctx, conversationID)
	if err != nil {
		return Wrapup{}, err
	}
	if err := form.Check(answers, false); err != nil {
		return Wrapup{}, chat.Errorf(chat.CodeInvalid, "%s", err)
	}
	w := s.wrapup(p, form, conversationID, answers)
	if err := s.audit.Record(ctx, p.StaffID, AuditDraft, "conversation:"+conversationID, form.Version); err != nil {
		return Wrapup{}, errNotAudited
	}
	if err := s.store.SaveDraft(ctx, w); err != nil {
		return Wrapup{}, unavailable(err)
	}
	return w, nil
}

// formFor is the form a conversation's wrap-up is written with: its
// draft's version, else the current one.
func (s *Service) formFor(ctx context.Context, conversationID string) (Form, error) {
	w, err := s.store.Get(ctx, conversationID)
	switch {
	case chat.ErrorCode(err) == chat.CodeNotFound:
		return s.currentForm(ctx), nil
	case err != nil:
		return Form{}, unavailable(err)
	}
	return s.formOf(ctx, w.FormVersion)
}

// Complete records the finished wrap-up of an ended conversation, and its
// anonymous counts, with the version of the form it was written with.
// Completing it again with the same answers answers as the first time;
// with others, CodeConflict.
func (s *Service) Complete(ctx context.Context, p chat.Principal, conversationID string, answers map[string]string) (Wrapup, error) {
	c, err := s.take(ctx, p, conversationID)
	if err != nil {
		return Wrapup{}, err
	}
	form, err := s.formFor(ctx, conversationID)
	if err != nil {
		return Wrapup{}, err
	}
	if err := form.Check(answers, true); err != nil {
		return Wrapup{}, chat.Errorf(chat.CodeInvalid, "%s", err)
	}
	if c.Status != chat.StatusEnded {
		return Wrapup{}, chat.Errorf(chat.CodeConflict, "the wrap-up is completed once the conversation has ended")
	}
	w := s.wrapup(p, form, conversationID, answers)
	w.Done, w.CompletedAt = true, w.UpdatedAt
	if err := s.audit.Record(ctx, p.StaffID, AuditComplete, "conversation:"+conversationID, form.Version); err != nil {
		return Wrapup{}, errNotAudited
	}
	stored, err := s.store.Complete(ctx, w, w.CompletedAt)
	if err != nil {
		return Wrapup{}, unavailable(err)
	}
	if !maps.Equal(stored.Answers, answers) {
		return Wrapup{}, chat.Errorf(chat.CodeConflict, "this wrap-up was already completed with other answers")
	}
	return stored, nil
}

// DailyCounts returns the anonymous counts of the days from..to (UTC dates,
// both included): what a transparency report reads. They name no
// conversation and no counsellor, and stay when conversations are erased.
func (s *Service) DailyCounts(ctx context.Context, from, to time.Time) ([]Count, error) {
	counts, err := s.store.Counts(ctx, day(from), day(to))
	if err != nil {
		return nil, unavailable(err)
	}
	return counts, nil
}

func (s *Service) wrapup(p chat.Principal, form Form, conversationID string, answers map[string]string) Wrapup {
	if answers == nil {
		answers = map[string]string{}
	}
	return Wrapup{ConversationID: conversationID, FormVersion: form.Version, Answers: answers,
		UpdatedBy: p.StaffID, UpdatedAt: s.now().UTC().Truncate(time.Microsecond)}
}

func (s *Service) take(ctx context.Context, p chat.Principal, conversationID string) (chat.Conversation, error) {
	if !p.Role.IsStaff() {
		return chat.Conversation{}, chat.ErrNotFound
	}
	return s.chat.Conversation(ctx, p, conversationID)
}

// day is t's UTC date, at midnight.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var errNotAudited = chat.Errorf(chat.CodeUnavailable, "the wrap-up could not be recorded in the audit log, so it was not saved; try again in a moment")

func unavailable(err error) error {
	if _, ok := err.(*chat.Error); ok {
		return err
	}
	return chat.Errorf(chat.CodeUnavailable, "wrap-ups cannot be reached right now")
}
