package refer

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"helpline/chat"
	"helpline/chat/wire"
	"helpline/routing/directory"
	"helpline/routing/referral"
)

// Chat is what refer needs of the chat; *chat.Service satisfies it.
type Chat interface {
	Conversation(ctx context.Context, p chat.Principal, id string) (chat.Conversation, error)
	SendStaffMessage(ctx context.Context, p chat.Principal, staff chat.StaffInfo, conversationID, clientID, kind, body string) chat.AppendResult
	Push(ctx context.Context, to chat.Recipients, p wire.Payload) error
}

// Auditor writes one audit entry; counselors.Service satisfies it.
type Auditor interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// Outbound is what refer needs of the deliverer; *referral.Deliverer
// satisfies it.
type Outbound interface {
	Withdraw(ctx context.Context, id string) error
	Retry(ctx context.Context, id string) error
}

// Audit actions.
const (
	AuditCard  = "referral_card"
	AuditOffer = "referral_warm_offer"
	AuditRetry = "referral_retry"
	AuditList  = "referral_list" // a supervisor or admin reading a conversation's referrals
)

// Config is what a Service needs.
type Config struct {
	Chat      Chat
	Store     Store
	Directory directory.Store
	Outbox    referral.Store // partners and delivery status
	Outbound  Outbound
	Audit     Auditor
	// Text returns a user-facing text in a language, falling back to the
	// default language (web.Texts.Text): the card's labels.
	Text func(lang, key string) string
	// DefaultLanguage is the card's language when the seeker chose none.
	DefaultLanguage string
	Now             func() time.Time
	Log             *slog.Logger
}

// Service is referral inside a conversation.
type Service struct{ c Config }

func New(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Text == nil {
		c.Text = func(_, key string) string { return key }
	}
	return &Service{c: c}
}

var (
	errNotFound    = chat.Errorf(chat.CodeNotFound, "not found")
	errNotAudited  = chat.Errorf(chat.CodeUnavailable, "this cannot be done right now because it could not be recorded; try again in a moment")
	errUnavailable = chat.Errorf(chat.CodeUnavailable, "referrals cannot be reached right now; try again in a moment")
)

// safe turns a store failure into an error fit for a caller; typed chat
// errors pass through.
func (s *Service) safe(err error) error {
	var ce *chat.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return err
	case errors.Is(err, ErrNotFound), errors.Is(err, directory.ErrNotFound), errors.Is(err, referral.ErrNotFound):
		return errNotFound
	case errors.Is(err, ErrState):
		return chat.Errorf(chat.CodeConflict, "the referral is no longer in a state that allows this")
	}
	s.c.Log.Error("referral store failed", "error", err)
	return errUnavailable
}

func (s *Service) audit(ctx context.Context, p chat.Principal, action, target, detail string) error {
	if err := s.c.Audit.Record(ctx, p.StaffID, action, target, detail); err != nil {
		s.c.Log.Error("refusing a referral action: its audit row could not be written", "error", err)
		return errNotAudited
	}
	return nil
}

// SearchQuery is a counsellor's search: the seeker's region, audience and
// language unless the counsellor changed them.
type SearchQuery struct {
	Region, Audience, Language *string
}

// Search ranks the directory for a conversation the counsellor holds. Any
// field of q left nil is the seeker's own answer.
func (s *Service) Search(ctx context.Context, p chat.Principal, conversationID string, q SearchQuery) (directory.Query, []ServiceView, error) {
	c, err := s.c.Chat.Conversation(ctx, p, conversationID)
	if err != nil || !p.Role.IsStaff() {
		return directory.Query{}, nil, errNotFound
	}
	dq := directory.Query{Region: c.Region, Audience: directory.Audience(c.Audience), Language: c.Language}
	if q.Region != nil {
		dq.Region = *q.Region
	}
	if q.Audience != nil {
		dq.Audience = directory.Audience(*q.Audience)
	}
	if q.Language != nil {
		dq.Language = *q.Language
	}
	all, err := s.c.Directory.Services(ctx, false)
	if err != nil {
		return dq, nil, s.safe(err)
	}
	now := s.c.Now()
	ranked := directory.Rank(all, dq, now)
	out := make([]ServiceView, 0, len(ranked))
	for _, svc := range ranked {
		out = append(out, s.view(ctx, svc, s.lang(dq.Language), now))
	}
	return dq, out, nil
}

func (s *Service) lang(l string) string {
	if l == "" {
		return s.c.DefaultLanguage
	}
	return l
}

// warmPartner returns the partner that takes warm referrals for svc, if
// the service accepts them and its partner is configured and enabled.
func (s *Service) warmPartner(ctx context.Context, svc directory.Service) (referral.Partner, bool) {
	if !svc.AcceptsWarmReferral || s.c.Outbox == nil {
		return referral.Partner{}, false
	}
	p, err := s.c.Outbox.Partner(ctx, svc.ID)
	return p, err == nil && p.Enabled
}

// SendCard sends the referral card for serviceID into the conversation and
// records the referral. clientID names it: a retry sends one card.
func (s *Service) SendCard(ctx context.Context, p chat.Principal, staff chat.StaffInfo, conversationID, serviceID, clientID string) (View, error) {
	c, err := s.c.Chat.Conversation(ctx, p, conversationID)
	if err != nil || !p.Role.IsStaff() {
		return View{}, errNotFound
	}
	svc, err := s.c.Directory.Service(ctx, serviceID)
	if err != nil || svc.Deleted() || svc.Status == directory.StatusInactive {
		return View{}, chat.Errorf(chat.CodeNotFound, "no such service in the directory")
	}
	if err := s.audit(ctx, p, AuditCard, conversationID, serviceID); err != nil {
		return View{}, err
	}
	lang := s.lang(c.Language)
	res := s.c.Chat.SendStaffMessage(ctx, p, staff, conversationID, clientID, KindReferral, s.CardText(svc, lang))
	if res.Err != nil {
		return View{}, res.Err
	}
	r, err := s.c.Store.Add(ctx, Referral{ID: RecordID(conversationID, clientID), ConversationID: conversationID,
		ServiceID: svc.ID, ServiceName: svc.Name.In(lang, svc.Fallback), StaffID: p.StaffID, Seq: res.Message.Seq,
		Code: newCode(), CreatedAt: s.c.Now()})
	if err != nil {
		return View{}, s.safe(err)
	}
	return s.staffView(ctx, r), nil
}

// ForConversation lists a conversation's referrals for its counsellor, or
// for a supervisor or admin (who may read any conversation, as chat lets
// them watch one; their read is audited, and refused when it cannot be).
func (s *Service) ForConversation(ctx context.Context, p chat.Principal, conversationID string) ([]View, error) {
	_, err := s.c.Chat.Conversation(ctx, p, conversationID)
	switch {
	case !p.Role.IsStaff():
		return nil, errNotFound
	case err != nil && (p.Role == chat.RoleSupervisor || p.Role == chat.RoleAdmin):
		if err := s.audit(ctx, p, AuditList, conversationID, ""); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, errNotFound
	}
	rs, err := s.c.Store.ForConversation(ctx, conversationID)
	if err != nil {
		return nil, s.safe(err)
	}
	out := make([]View, 0, len(rs))
	for _, r := range rs {
		out = append(out, s.staffView(ctx, r))
	}
	return out, nil
}

// Counts returns the anonymous daily counts of [from, to).
func (s *Service) Counts(ctx context.Context, from, to time.Time) (map[string]map[string]int64, error) {
	return s.c.Store.Counts(ctx, from, to)
}

// SetOutbound hands over the deliverer, built after the Service because
// its alerts are the Service's.
func (s *Service) SetOutbound(o Outbound) { s.c.Outbound = o }

// Records returns the store of referral records (tests and operators).
func (s *Service) Records() Store { return s.c.Store }
