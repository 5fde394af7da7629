package chat

import (
	"context"
	"errors"
	"time"
)

// StartConversation opens a conversation for an anonymous seeker and returns
// the credential that is their only proof of it.
func (s *Service) StartConversation(ctx context.Context, n NewConversation) (Conversation, string, time.Time, error) {
	if err := n.Validate(s.cfg.Languages); err != nil {
		return Conversation{}, "", time.Time{}, err
	}
	if err := s.Admit(ctx); err != nil {
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
// An arrival refused as closed is counted (MetricTurnedAway) when the store
// keeps tallies: the seeker page asks this before anything else.
func (s *Service) Admit(ctx context.Context) error {
	err := s.router.Admit(ctx)
	var closed *ClosedError
	if errors.As(err, &closed) {
		if t, ok := s.store.(Tallies); ok {
			if terr := t.AddTally(ctx, TurnedAway(closed.Reason, s.now())); terr != nil {
				s.log.Warn("counting an arrival turned away failed", "error", terr)
			}
		}
	}
	return err
}

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
	// AccessTake: write, end: its seeker, the staff member it is assigned
	// to, or the colleague who joined it (JoinStaff). Only the first two
	// may transfer it.
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
	case p.Role.IsStaff() && c.Participant(p.StaffID):
		return nil // its counsellor, or the colleague who joined it
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
	if err := s.recordRead(ctx, p, id, readWatch); err != nil {
		return Conversation{}, err
	}
	return c, nil
}

// recordRead audits a staff read of a conversation's content. The read is
// refused (unavailable) when its audit row cannot be written: every staff
// read is audited, so none may happen unaudited.
func (s *Service) recordRead(ctx context.Context, p Principal, conversationID string, how readKind) error {
	var err error
	if w, ok := s.cfg.Staff.(WatchRecorder); ok && how == readWatch {
		err = w.RecordWatch(ctx, p.StaffID, conversationID)
	} else {
		err = s.cfg.Staff.RecordRead(ctx, p.StaffID, conversationID)
	}
	if err != nil {
		s.log.Error("refusing a staff read: its audit row could not be written", "error", err)
		return errReadNotAudited
	}
	return nil
}

// readKind says how staff read a conversation, for the audit log.
type readKind int

const (
	readHistory readKind = iota // a sync: its messages so far
	readWatch                   // a supervisor's silent watch: live from now
)

// ReadHistory is the rule for a sync of a conversation's messages that the
// connection may see (see Conn.member): a staff member's read is audited,
// and refused when it cannot be.
func (s *Service) ReadHistory(ctx context.Context, p Principal, conversationID string) error {
	if !p.Role.IsStaff() {
		return nil
	}
	return s.recordRead(ctx, p, conversationID, readHistory)
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
	if !s.sendLimit.AllowPair(conversationID, string(a.Sender)) {
		return AppendResult{Err: Errorf(CodeRateLimited, "too many messages at once; wait a moment and send again")}
	}
	return s.storeFailureSaid(s.writer.Append(ctx, a))
}

// storeFailureSaid logs a store failure of res and tells the client only
// that the message was not stored. The error's variable is declared on
// the failure path alone: declared before the check, it was moved to the
// heap, an allocation for every message sent.
func (s *Service) storeFailureSaid(res AppendResult) AppendResult {
	if res.Err == nil {
		return res
	}
	var se *storeError
	if asStoreError(res.Err, &se) {
		s.log.Error("storing a message failed", "error", se.cause)
		res.Err = Errorf(CodeUnavailable, "the message could not be stored; send it again")
	}
	return res
}

// End ends a conversation on behalf of its seeker or its counsellor.
func (s *Service) End(ctx context.Context, p Principal, conversationID, reason string) error {
	c, err := s.Conversation(ctx, p, conversationID)
	if err != nil {
		return err
	}
	endedBy, err := s.endedBy(ctx, p, c.ID, reason)
	if err != nil {
		return err
	}
	c, m, err := s.store.End(ctx, c.ID, endedBy)
	if err != nil {
		return s.safe(err)
	}
	s.changedState(ctx, c, m, 0)
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
