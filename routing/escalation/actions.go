package escalation

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"helpline/chat"
)

// Acknowledge is the rule for a supervisor or admin picking an escalation
// up. Acknowledging again changes nothing and answers the same.
func (s *Service) Acknowledge(ctx context.Context, p chat.Principal, staff chat.StaffInfo, id string) (Escalation, error) {
	if !mayHandle(p.Role) {
		return Escalation{}, errNotFound
	}
	if !chat.IsUUID(id) {
		return Escalation{}, errNotFound
	}
	if err := s.recordFirst(ctx, p.StaffID, "escalation.acknowledge", id, ""); err != nil {
		return Escalation{}, err
	}
	e, changed, err := s.store.Acknowledge(ctx, id, p.StaffID, staff.DisplayName, s.now())
	if err != nil || !changed {
		return e, err
	}
	s.tellHandlers(ctx, EventAcknowledged, e)
	return e, nil
}

// Resolve is the rule for recording a supervisor's decision. Resolving
// again changes nothing and answers the same. Nothing is sent anywhere
// outside the service, whatever the outcome.
func (s *Service) Resolve(ctx context.Context, p chat.Principal, staff chat.StaffInfo, id string, outcome Outcome, note string) (Escalation, error) {
	if !mayHandle(p.Role) {
		return Escalation{}, errNotFound
	}
	note = strings.TrimSpace(note)
	if !outcome.Valid() {
		return Escalation{}, chat.Errorf(chat.CodeInvalid, "outcome must be one of %v", Outcomes)
	}
	if utf8.RuneCountInString(note) > MaxNoteChars {
		return Escalation{}, chat.Errorf(chat.CodeInvalid, "the note is longer than %d characters", MaxNoteChars)
	}
	if !chat.IsUUID(id) {
		return Escalation{}, errNotFound
	}
	if err := s.recordFirst(ctx, p.StaffID, "escalation.resolve", id, "outcome="+string(outcome)); err != nil {
		return Escalation{}, err
	}
	now := s.now()
	n := Note{ID: chat.NewID(), StaffID: p.StaffID, StaffName: staff.DisplayName, Kind: NoteResolve, Body: note, At: now}
	e, changed, err := s.store.Resolve(ctx, id, p.StaffID, staff.DisplayName, outcome, n, now)
	if err != nil || !changed {
		return e, err
	}
	s.tellHandlers(ctx, EventResolved, e)
	return e, nil
}

// tellHandlers pushes an event to every supervisor and admin on shift,
// whoever raised it and the staff of its conversation.
func (s *Service) tellHandlers(ctx context.Context, event string, e Escalation) {
	sup, admins, err := s.onShift(ctx)
	if err != nil {
		s.cfg.Log.Warn("reading who is on shift failed; telling only the conversation's staff", "error", err)
	}
	s.push(ctx, event, e, append(sup, admins...))
}

// Unresolved lists the escalations not resolved yet, oldest first, without
// notes, for supervisors and admins. Asking counts as having the
// supervisor page open: the caller is on shift for escalations for
// Config.WatchFor.
func (s *Service) Unresolved(ctx context.Context, p chat.Principal) ([]Escalation, error) {
	if !mayHandle(p.Role) {
		return nil, errNotFound
	}
	if err := s.store.Watching(ctx, p.StaffID, p.Role, s.now()); err != nil {
		return nil, err
	}
	return s.store.Unresolved(ctx)
}

// Get reads one escalation with its notes: for supervisors and admins, and
// for whoever raised it. The read is audited, and refused when it cannot be.
func (s *Service) Get(ctx context.Context, p chat.Principal, id string) (Escalation, error) {
	if !p.Role.IsStaff() {
		return Escalation{}, errNotFound
	}
	if !chat.IsUUID(id) {
		return Escalation{}, errNotFound
	}
	e, err := s.store.Get(ctx, id)
	if err != nil {
		return Escalation{}, err
	}
	if !mayHandle(p.Role) && e.RaisedBy != p.StaffID {
		return Escalation{}, errNotFound
	}
	if err := s.audit.Record(ctx, p.StaffID, "read", "escalation:"+e.ID, ""); err != nil {
		return Escalation{}, errNotAudited
	}
	return e, nil
}

var errNotAudited = chat.Errorf(chat.CodeUnavailable, "the escalation cannot be read right now because the reading could not be recorded; try again in a moment")

// ForConversation lists a conversation's escalations with their notes: for
// the staff member who holds it now (the history follows transfers), and
// supervisors and admins. The read is audited, and refused when it cannot be.
func (s *Service) ForConversation(ctx context.Context, p chat.Principal, conversationID string) ([]Escalation, error) {
	if !p.Role.IsStaff() || !chat.IsUUID(conversationID) {
		return nil, errNotFound
	}
	if !mayHandle(p.Role) {
		if _, err := s.chat.Conversation(ctx, p, conversationID); err != nil {
			if chat.ErrorCode(err) == chat.CodeNotFound {
				return nil, errNotFound
			}
			return nil, err
		}
	}
	if err := s.audit.Record(ctx, p.StaffID, "read", "conversation:"+conversationID, "escalations"); err != nil {
		return nil, errNotAudited
	}
	return s.store.ForConversation(ctx, conversationID)
}

// Mine lists what the caller raised that is unresolved or from the last
// day, without notes: their console's status lines after a reload.
func (s *Service) Mine(ctx context.Context, p chat.Principal) ([]Escalation, error) {
	if !p.Role.IsStaff() {
		return nil, errNotFound
	}
	return s.store.RaisedBy(ctx, p.StaffID, s.now().Add(-mineFor))
}

// CheckLate re-alerts every escalation whose acknowledgement deadline has
// passed by now and that was not re-alerted yet: once each, to every
// supervisor and admin on shift, and to its counsellor. Every instance
// calls it (Run); the store hands each miss to one call only, so the
// re-alert happens once however many instances run, and still happens
// after a restart. It returns how many it re-alerted.
func (s *Service) CheckLate(ctx context.Context, now time.Time) (int, error) {
	late, err := s.store.ClaimLate(ctx, now.UTC())
	if err != nil || len(late) == 0 {
		return 0, err
	}
	sup, admins, err := s.onShift(ctx)
	if err != nil {
		s.cfg.Log.Warn("reading who is on shift failed; re-alerting only the conversations' staff", "error", err)
	}
	for _, e := range late {
		s.recordAfter(ctx, "escalation.late", e, "urgency="+string(e.Urgency))
		s.push(ctx, EventLate, e, append(append([]int64(nil), sup...), admins...))
	}
	return len(late), nil
}

// Run checks for missed deadlines every Config.CheckEvery, and deletes
// expired debriefs (Store.Expire) about once an hour, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.CheckEvery)
	defer t.Stop()
	var expired time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.cfg.Now()
		if _, err := s.CheckLate(ctx, now); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("checking escalation deadlines failed; will retry", "error", err)
		}
		if now.Sub(expired) >= time.Hour {
			expired = now
			if _, err := s.Expire(ctx, now); err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("deleting expired debriefs failed; will retry", "error", err)
			}
		}
	}
}

// Expire deletes the resolved debriefs that belong to no conversation and
// were resolved longer than Config.Retention before now.
func (s *Service) Expire(ctx context.Context, now time.Time) (int, error) {
	return s.store.Expire(ctx, now.Add(-s.cfg.Retention))
}
