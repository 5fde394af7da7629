package casenotes

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"helpline/chat"
)

// MaxBody is the longest note, in characters.
const MaxBody = 2000

// Note is one case note.
type Note struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	AuthorID       int64     `json:"-"`
	AuthorName     string    `json:"author_name"`
	Body           string    `json:"body"`
	CreatedAt      time.Time `json:"created_at"`
}

// Store keeps notes. Add is idempotent by the note's id: adding it again
// stores nothing and returns the note first stored. A conversation that
// does not exist is chat.ErrNotFound.
type Store interface {
	Add(ctx context.Context, n Note) (Note, error)
	List(ctx context.Context, conversationID string) ([]Note, error) // oldest first
}

// Conversations is chat's access rule: may this principal read this
// conversation (*chat.Service implements it).
type Conversations interface {
	MayRead(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error)
}

// Auditor writes the audit log (counselors.Service implements it).
type Auditor interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// Audit actions.
const (
	AuditRead  = "casenote.read"
	AuditWrite = "casenote.write"
)

// Service is the rule for case notes.
type Service struct {
	store Store
	chat  Conversations
	audit Auditor
	now   chat.Clock
}

// New returns the service; now nil is time.Now.
func New(store Store, conversations Conversations, audit Auditor, now chat.Clock) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, chat: conversations, audit: audit, now: now}
}

var (
	errNotAudited = chat.Errorf(chat.CodeUnavailable, "the notes cannot be used right now because the access could not be recorded; try again in a moment")
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// List returns a conversation's notes to a staff member who may read it.
func (s *Service) List(ctx context.Context, p chat.Principal, conversationID string) ([]Note, error) {
	if err := s.allowed(ctx, p, conversationID, AuditRead); err != nil {
		return nil, err
	}
	notes, err := s.store.List(ctx, conversationID)
	if err != nil {
		return nil, unavailable(err)
	}
	return notes, nil
}

// Add writes a note; clientID, chosen by the client, makes a retry store it
// once.
func (s *Service) Add(ctx context.Context, p chat.Principal, authorName, conversationID, clientID, body string) (Note, error) {
	body = strings.TrimSpace(body)
	switch {
	case !idPattern.MatchString(clientID):
		return Note{}, chat.Errorf(chat.CodeInvalid, "client_id: 1 to 64 letters, digits, - or _")
	case body == "" || utf8.RuneCountInString(body) > MaxBody:
		return Note{}, chat.Errorf(chat.CodeInvalid, "body: 1 to %d characters", MaxBody)
	}
	if err := s.allowed(ctx, p, conversationID, AuditWrite); err != nil {
		return Note{}, err
	}
	n, err := s.store.Add(ctx, Note{ID: conversationID + "_" + clientID, ConversationID: conversationID, AuthorID: p.StaffID,
		AuthorName: authorName, Body: body, CreatedAt: s.now().UTC().Truncate(time.Microsecond)})
	if err != nil {
		return Note{}, unavailable(err)
	}
	return n, nil
}

// allowed: staff who may read the conversation, once the audit row is
// written.
func (s *Service) allowed(ctx context.Context, p chat.Principal, conversationID, action string) error {
	if !p.Role.IsStaff() {
		return chat.ErrNotFound
	}
	if _, err := s.chat.MayRead(ctx, p, conversationID); err != nil {
		return err
	}
	if err := s.audit.Record(ctx, p.StaffID, action, "conversation:"+conversationID, ""); err != nil {
		return errNotAudited
	}
	return nil
}

func unavailable(err error) error {
	if _, ok := err.(*chat.Error); ok {
		return err
	}
	return chat.Errorf(chat.CodeUnavailable, "case notes cannot be reached right now")
}
