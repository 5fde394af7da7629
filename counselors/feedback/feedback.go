package feedback

import (
	"context"
	"fmt"
	"strings"
	"time"

	"helpline/chat"
)

// Limits of an answer.
const (
	MaxCommentChars = 500
	MaxHelpful      = 4 // 1 not at all … 4 a lot
	MaxFeeling      = 5 // 1 much worse … 3 the same … 5 much better
)

// Answer is what a seeker sends. Zero means "not answered".
type Answer struct {
	Helpful int
	Feeling int
	Comment string
}

// Record is what is stored of an answer: no conversation, no counsellor,
// no time finer than the ISO week ("2026-W49").
type Record struct {
	Week     string
	Language string
	Helpful  int
	Feeling  int
	Comment  string
}

// Count is how many answers of one week and language gave one value to
// one question (QuestionHelpful or QuestionFeeling).
type Count struct {
	Week     string
	Language string
	Question string
	Value    int
	N        int64
}

// Questions, as Count names them.
const (
	QuestionHelpful = "helpful"
	QuestionFeeling = "feeling"
)

// Comment is one stored comment, for admins.
type Comment struct {
	Week     string
	Language string
	Text     string
}

// Store keeps feedback. Both implementations pass the same suite.
type Store interface {
	// Submit stores r for the conversation unless that conversation has
	// answered before; it reports whether it stored anything. An unknown
	// (already deleted) conversation is chat.ErrNotFound.
	Submit(ctx context.Context, conversationID string, r Record) (bool, error)
	// Counts sums the scores of the weeks from..to (both included).
	Counts(ctx context.Context, fromWeek, toWeek string) ([]Count, error)
	// Comments lists the comments of the weeks from..to, newest week first.
	Comments(ctx context.Context, fromWeek, toWeek string) ([]Comment, error)
	// DeleteCommentsBefore deletes the comments of weeks before week.
	DeleteCommentsBefore(ctx context.Context, week string) (int, error)
}

// Conversations is what feedback needs of the chat core: a seeker's own
// conversation (chat.Service implements it).
type Conversations interface {
	Conversation(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error)
}

// Service takes seekers' feedback.
type Service struct {
	store Store
	convs Conversations
	now   chat.Clock
}

// New returns a service on store; now may be nil (time.Now).
func New(store Store, convs Conversations, now chat.Clock) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, convs: convs, now: now}
}

// Week is the ISO week of t, as stored: "2026-W49".
func Week(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// Validate checks an answer's ranges and text.
func (a Answer) Validate() error {
	if a.Helpful < 0 || a.Helpful > MaxHelpful {
		return chat.Errorf(chat.CodeInvalid, "helpful is %d; answer 1 to %d, or leave it out", a.Helpful, MaxHelpful)
	}
	if a.Feeling < 0 || a.Feeling > MaxFeeling {
		return chat.Errorf(chat.CodeInvalid, "feeling is %d; answer 1 to %d, or leave it out", a.Feeling, MaxFeeling)
	}
	if err := chat.CheckText(a.Comment, MaxCommentChars, true); err != nil {
		return chat.Errorf(chat.CodeInvalid, "comment: %s", chat.PublicMessage(err))
	}
	return nil
}

// Submit stores a seeker's feedback on their own conversation, which must
// have ended. Submitting again, or submitting nothing, succeeds and stores
// nothing more.
func (s *Service) Submit(ctx context.Context, p chat.Principal, a Answer) error {
	if p.Role != chat.RoleSeeker {
		return chat.Errorf(chat.CodeUnauthorized, "only the person who wrote in can give feedback")
	}
	a.Comment = strings.TrimSpace(a.Comment)
	if err := a.Validate(); err != nil {
		return err
	}
	c, err := s.convs.Conversation(ctx, p, p.ConversationID)
	if err != nil {
		return err
	}
	if c.Status != chat.StatusEnded {
		return chat.Errorf(chat.CodeConflict, "feedback is asked for once the conversation has ended")
	}
	if a == (Answer{}) {
		return nil
	}
	_, err = s.store.Submit(ctx, c.ID, Record{Week: Week(s.now()), Language: c.Language,
		Helpful: a.Helpful, Feeling: a.Feeling, Comment: a.Comment})
	return err
}

// Counts sums the scores of the ISO weeks from..to.
func (s *Service) Counts(ctx context.Context, fromWeek, toWeek string) ([]Count, error) {
	return s.store.Counts(ctx, fromWeek, toWeek)
}

// Comments lists comments for an admin; the caller audits the read.
func (s *Service) Comments(ctx context.Context, fromWeek, toWeek string) ([]Comment, error) {
	return s.store.Comments(ctx, fromWeek, toWeek)
}

// DeleteExpired deletes the comments of the weeks wholly before the week of
// cutoff (so a comment is kept at most a week longer than cutoff says).
func (s *Service) DeleteExpired(ctx context.Context, cutoff time.Time) (int, error) {
	return s.store.DeleteCommentsBefore(ctx, Week(cutoff))
}

// RunRetention deletes expired comments now and then every interval until
// ctx ends; days is the retention period.
func (s *Service) RunRetention(ctx context.Context, days int, interval time.Duration, log func(deleted int, err error)) {
	for {
		n, err := s.DeleteExpired(ctx, s.now().Add(-time.Duration(days)*24*time.Hour))
		if ctx.Err() != nil {
			return
		}
		log(n, err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
