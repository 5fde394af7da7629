package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"helpline/chat/wire"
)

// Recipients names who a pushed frame is for, on every instance. The sets
// add up; a connection in several gets the frame once. Nobody else's
// connection gets it.
type Recipients struct {
	// Staff: these staff members, on each of their sockets.
	Staff []int64 `json:"s,omitempty"`
	// Roles: every connected staff member with one of these roles.
	Roles []Role `json:"r,omitempty"`
	// StaffOf: the staff attached to this conversation: its counsellor,
	// and supervisors watching it.
	StaffOf string `json:"a,omitempty"`
	// SeekerOf: the seeker of this conversation, on that conversation's
	// sockets only.
	SeekerOf string `json:"k,omitempty"`
	// Observing narrows Staff and Roles to observing sockets (supervisor
	// pages, auth with observe): a frame only the supervisor page uses
	// costs the consoles nothing.
	Observing bool `json:"o,omitempty"`
}

func (r Recipients) empty() bool {
	return len(r.Staff) == 0 && len(r.Roles) == 0 && r.StaffOf == "" && r.SeekerOf == ""
}

// Push is what an EventPush carries: the frame, already encoded, and who
// it is for.
type Push struct {
	To    Recipients      `json:"t"`
	Frame json.RawMessage `json:"f"`
}

// coreFrames are the frame types chat itself sends; pushing one would let
// another package break what clients rely on about them (ready first, a
// message per seq, an ack after commit).
var coreFrames = []string{wire.FrameReady, wire.FramePong, wire.FrameAck, wire.FrameMessage, wire.FrameSynced,
	wire.FrameNotes, wire.FrameConversation, wire.FrameTyping, wire.FrameOffer, wire.FrameStatus, wire.FrameQueue,
	wire.FrameTeam, wire.FrameTeamChanges, wire.FramePosition, wire.FrameError}

// Push sends a frame of any package's (a wire.Payload: {"type": T, ...})
// to its recipients wherever they are connected, through the broker. It is
// the door for frames chat does not know: a feature adds its payload type
// and calls Push, with no change to chat. Like every event it is
// best-effort towards connections: one not connected now does not get it
// later, so a feature keeps in its own store whatever must survive a
// reconnect and sends it again when asked.
//
// A frame for a seeker must be one written for them: SeekerOf puts it on
// the seeker's screen. The encoded event must fit the broker
// (MaxEventBytes, under 8000 bytes): a larger one is refused with
// ErrEventTooLarge and nobody gets it; push an id and let the client fetch
// the rest.
func (s *Service) Push(ctx context.Context, to Recipients, p wire.Payload) error {
	if to.empty() {
		return Errorf(CodeInvalid, "a pushed frame needs recipients")
	}
	if slices.Contains(coreFrames, p.FrameType()) {
		return Errorf(CodeInvalid, "%q frames are chat's own and cannot be pushed; give the frame a type of its own", p.FrameType())
	}
	frame, err := wire.Encode(p)
	if err != nil {
		return err
	}
	e := Event{Type: EventPush, Push: &Push{To: to, Frame: frame}}
	if n := len(encodeEvent(e)); n > MaxEventBytes {
		return fmt.Errorf("a %s frame of %d bytes: %w (at most %d); send an id and let the client fetch the rest",
			p.FrameType(), n, ErrEventTooLarge, MaxEventBytes)
	}
	return s.broker.Publish(ctx, e)
}

// onPush hands a pushed frame to this instance's recipients.
func (s *Service) onPush(_ context.Context, e Event) {
	if e.Push == nil || len(e.Push.Frame) == 0 {
		return
	}
	f := serverFrame{encoded: e.Push.Frame}
	for _, c := range s.recipients(e.Push.To) {
		c.enqueue(f)
	}
}

// recipients lists this instance's connections that r names, each once.
func (s *Service) recipients(r Recipients) []*Conn {
	var out []*Conn
	if len(r.Staff) > 0 || len(r.Roles) > 0 {
		out = s.hub.connections(func(c *Conn) bool {
			return c.principal.Role.IsStaff() && (!r.Observing || c.observer) &&
				(slices.Contains(r.Staff, c.principal.StaffID) || slices.Contains(r.Roles, c.principal.Role))
		})
	}
	for _, id := range []string{r.StaffOf, r.SeekerOf} {
		if id == "" {
			continue
		}
		if room := s.hub.room(id); room != nil {
			for _, c := range room.subscribers() {
				if slices.Contains(out, c) {
					continue
				}
				staff := id == r.StaffOf && c.principal.Role.IsStaff() && c.member(id)
				seeker := id == r.SeekerOf && c.principal.Role == RoleSeeker && c.principal.ConversationID == id
				if staff || seeker {
					out = append(out, c)
				}
			}
		}
	}
	return out
}
