package chat

import (
	"context"
	"time"
)

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
	s.changedState(ctx, c, m, p.StaffID)
	return c, nil
}

// Transfer hands a conversation on: to a named colleague who is on shift
// with room (to), or back to the queue for a skill ("any" for anyone). The
// note is for the next counsellor only.
func (s *Service) Transfer(ctx context.Context, p Principal, staff StaffInfo, conversationID, to, skill, note string) error {
	if !p.Role.IsStaff() {
		return ErrNotFound
	}
	c, err := s.Conversation(ctx, p, conversationID)
	if err != nil {
		return err
	}
	if c.CounselorID != p.StaffID {
		return ErrNotFound // a colleague who joined it takes part, but hands nothing on
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
		if err := s.transferRefusal(p.StaffID, target, c); err != nil {
			return err
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
	s.changedState(ctx, c, m, c.CounselorID)
	return nil
}

// Requeue returns a conversation whose counsellor is gone to the front of
// the queue; the routing leader calls it after the grace time.
func (s *Service) Requeue(ctx context.Context, conversationID string, counselorID int64) error {
	c, m, err := s.store.Requeue(ctx, conversationID, RequeueCounselorLeft, PriorityReturned, "", 0)
	if err != nil {
		return err
	}
	s.changedState(ctx, c, m, 0)
	return nil
}

// Abandon ends a waiting conversation whose seeker left and did not come
// back within the grace time.
func (s *Service) Abandon(ctx context.Context, conversationID string) error {
	c, m, err := s.store.End(ctx, conversationID, EndedByAbandoned)
	if err != nil {
		return err
	}
	s.changedState(ctx, c, m, 0)
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
	if !p.Role.IsStaff() {
		return ErrNotFound
	}
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
	if !p.Role.IsStaff() {
		return ErrNotFound
	}
	if err := s.router.Decline(ctx, p.StaffID, conversationID); err != nil {
		return s.safe(err)
	}
	s.publish(ctx, Event{Type: EventQueue})
	return nil
}
