package chat

import (
	"context"
	"math"
)

// This file is chat's door for supervision (chat/oversight builds on it):
// who watches a conversation, a colleague joining it as its second
// participant, and a supervisor taking it over. The rules of the message
// path do not change: a joined colleague writes through the same Writer,
// with the same gap-free sequence, and anyone who stops taking part stops
// receiving (onConversation), exactly as after a transfer.

// WatchTracker hears, on the instance where it happens, that a staff
// connection started or stopped watching a conversation (the watch frame;
// the connection closing or leaving it). Calls for one connection come in
// order; they must not block.
type WatchTracker interface {
	WatchStarted(staff StaffInfo, conversationID string)
	WatchStopped(staff StaffInfo, conversationID string)
}

type watchTrackerBox struct{ t WatchTracker }

// SetWatchTracker tells the Service whom to tell about watches; set it
// before serving (it needs the Service built first, like routing's SetChat).
func (s *Service) SetWatchTracker(t WatchTracker) { s.watchTracker.Store(&watchTrackerBox{t}) }

func (s *Service) tracker() WatchTracker {
	if b := s.watchTracker.Load(); b != nil {
		return b.t
	}
	return nil
}

func (s *Service) watchStarted(c *Conn, conversationID string) {
	if t := s.tracker(); t != nil {
		t.WatchStarted(c.staff, conversationID)
	}
}

func (s *Service) watchStopped(c *Conn, conversationID string) {
	if t := s.tracker(); t != nil {
		t.WatchStopped(c.staff, conversationID)
	}
}

// Audit actions of supervision.
const (
	AuditJoin     = "conversation.join"
	AuditLeave    = "conversation.leave"
	AuditTakeOver = "conversation.take_over"
)

// takeOverCapacity: a supervisor's take-over is their decision, never
// refused because they hold many conversations already.
const takeOverCapacity = math.MaxInt32

// supervising is the rule for Join, LeaveJoined and TakeOver: a supervisor
// or admin, on a conversation that exists, with the action audited first.
func (s *Service) supervising(ctx context.Context, p Principal, id, action string) (Conversation, error) {
	if p.Role != RoleSupervisor && p.Role != RoleAdmin {
		s.refused(ctx, p, id)
		return Conversation{}, ErrNotFound
	}
	c, err := s.MayRead(ctx, p, id)
	if err != nil {
		return Conversation{}, err
	}
	rec, ok := s.cfg.Staff.(ActionRecorder)
	if !ok {
		return Conversation{}, errActionNotAudited
	}
	if err := rec.Record(ctx, p.StaffID, action, "conversation:"+id, ""); err != nil {
		s.log.Error("refusing a supervision action: its audit row could not be written", "action", action, "error", err)
		return Conversation{}, errActionNotAudited
	}
	return c, nil
}

var errActionNotAudited = Errorf(CodeUnavailable, "this cannot be done right now because it could not be recorded; try again in a moment")

// Join makes a supervisor or admin the second participant of an active
// conversation: they may write beside its counsellor, and the seeker is
// told that another member of the team joined (a "staff_joined" system
// message, in the sequence). Joining again changes nothing.
func (s *Service) Join(ctx context.Context, p Principal, staff StaffInfo, id string) (Conversation, error) {
	if _, err := s.supervising(ctx, p, id, AuditJoin); err != nil {
		return Conversation{}, err
	}
	c, m, err := s.store.JoinStaff(ctx, id, p.StaffID, staff.DisplayName)
	if err != nil {
		return Conversation{}, s.safe(err)
	}
	if m.Seq != 0 {
		s.changedState(ctx, c, m, p.StaffID)
	}
	return c, nil
}

// LeaveJoined ends a Join: the "staff_left" message tells both sides. A
// staff member who had not joined leaves nothing, and it is no error.
func (s *Service) LeaveJoined(ctx context.Context, p Principal, id string) (Conversation, error) {
	if _, err := s.supervising(ctx, p, id, AuditLeave); err != nil {
		return Conversation{}, err
	}
	c, m, err := s.store.LeaveStaff(ctx, id, p.StaffID)
	if err != nil {
		return Conversation{}, s.safe(err)
	}
	if m.Seq != 0 {
		s.changedState(ctx, c, m, 0)
	}
	return c, nil
}

// TakeOver moves an active conversation to the supervisor or admin asking,
// with its whole history and notes, as a transfer does (Store.Reassign: the
// seeker sees one "transferred" line). The counsellor who held it stops
// receiving it at once, on every instance; from is who that was (0 when it
// was the caller's already, and nothing changed).
func (s *Service) TakeOver(ctx context.Context, p Principal, staff StaffInfo, id string) (c Conversation, from int64, err error) {
	if c, err = s.supervising(ctx, p, id, AuditTakeOver); err != nil {
		return Conversation{}, 0, err
	}
	if c.Status != StatusActive {
		return Conversation{}, 0, Errorf(CodeConflict, "only an active conversation can be taken over")
	}
	if c.CounselorID == p.StaffID {
		return c, 0, nil
	}
	from = c.CounselorID
	c, m, err := s.store.Reassign(ctx, id, from, p.StaffID, staff.DisplayName, takeOverCapacity)
	if ErrorCode(err) == CodeNotFound {
		return Conversation{}, 0, Errorf(CodeConflict, "the conversation changed meanwhile; look again")
	}
	if err != nil {
		return Conversation{}, 0, s.safe(err)
	}
	s.changedState(ctx, c, m, p.StaffID)
	return c, from, nil
}
