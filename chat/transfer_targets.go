package chat

import (
	"context"
	"encoding/json"

	"helpline/chat/wire"
)

// frameTransferTargets asks which colleagues could take a conversation now
// (PROTOCOL.md §3.3); the answer carries the same type.
const frameTransferTargets = wire.FrameTransferTargets

// TransferTarget is a colleague a conversation can be handed to, as the
// console lists them (the team frame's id, name, status and load).
type TransferTarget struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Status      string `json:"status"`
	Active      int    `json:"active"`
	Capacity    int    `json:"capacity"`
}

// transferTargetsFrame is the answer to a transfer_targets frame.
type transferTargetsFrame struct {
	Type           string           `json:"type"`
	ConversationID string           `json:"conversation_id"`
	Targets        []TransferTarget `json:"targets"`
}

// transferRefusal says why target may not take c from the asker now, or is
// nil when they may. It is the whole rule for a transfer to a colleague:
// Transfer enforces it and TransferTargets lists by it, so the list a
// console shows is exactly who a transfer would reach.
func (s *Service) transferRefusal(askerID int64, target TeamMember, c Conversation) error {
	if target.ID == askerID {
		return Errorf(CodeInvalid, "choose a colleague, not yourself")
	}
	if target.Status != "available" || target.Active >= target.Capacity {
		return Errorf(CodeConflict, "%s cannot take a conversation right now", target.DisplayName)
	}
	if !s.router.Trained(target, c) {
		return Errorf(CodeConflict, "%s is not trained for this conversation", target.DisplayName)
	}
	return nil
}

// TransferTargets lists the colleagues on shift who may take the
// conversation now, for staff who hold it (or, supervisors and admins, watch
// it). It names neither the asker nor whoever holds it; a conversation that
// is not active has no one to go to.
func (s *Service) TransferTargets(ctx context.Context, p Principal, conversationID string) ([]TransferTarget, error) {
	if !p.Role.IsStaff() {
		return nil, ErrNotFound
	}
	c, err := s.conversation(ctx, p, conversationID, AccessRead)
	if err != nil {
		return nil, err
	}
	targets := []TransferTarget{}
	if c.Status != StatusActive {
		return targets, nil
	}
	team, err := s.router.Team(ctx)
	if err != nil {
		return nil, s.safe(err)
	}
	for _, m := range team {
		if m.ID == c.CounselorID || s.transferRefusal(p.StaffID, m, c) != nil {
			continue
		}
		targets = append(targets, TransferTarget{ID: m.StaffID, DisplayName: m.DisplayName, Status: m.Status,
			Active: m.Active, Capacity: m.Capacity})
	}
	return targets, nil
}

// transferTargets answers a transfer_targets frame. A help-seeker, or staff
// who neither hold nor watch the conversation, get not_found.
func (c *Conn) transferTargets(f clientFrame) {
	targets, err := c.svc.TransferTargets(c.ctx, c.principal, f.ConversationID)
	if err != nil {
		c.enqueue(errorFrame(err, refOf(f)))
		return
	}
	data, err := json.Marshal(transferTargetsFrame{Type: frameTransferTargets, ConversationID: f.ConversationID, Targets: targets})
	if err != nil {
		c.enqueue(errorFrame(Errorf(CodeInternal, "could not list colleagues"), refOf(f)))
		return
	}
	c.enqueue(serverFrame{Type: frameTransferTargets, encoded: data})
}
