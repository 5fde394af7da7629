package chat

import (
	"context"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Blocking without identity. Staff may end an abusive conversation as
// "blocked". Its seeker's page then asks for a pause marker: a signed,
// expiring token that says only "new conversations from the browser
// holding this are paused until then" (no conversation id, nothing that
// links it to the conversation or the person). The browser keeps it and
// presents it when starting; the server refuses a start while it holds.
// Nothing is kept on the server, no address is involved: a browser that
// drops the marker (a private window, cleared storage) is not stopped. It
// is a calm stop for someone who keeps coming back, not a ban.

// ActionRecorder is what a StaffDirectory may also do: record a staff
// action (not a read) on a conversation in the audit log
// (counselors.Service.Record). Blocking refuses when its row cannot be
// written; Join, LeaveJoined and TakeOver (supervision.go) also refuse when
// the directory cannot record actions at all.
type ActionRecorder interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// endedBy is who ended a conversation, from the principal and the reason
// they gave: "left" is a seeker's quick exit, "blocked" a staff member's,
// audited before the conversation ends (and refused when it cannot be).
func (s *Service) endedBy(ctx context.Context, p Principal, conversationID, reason string) (string, error) {
	switch {
	case p.Role == RoleSeeker && reason == EndedByLeft:
		return EndedByLeft, nil
	case p.Role == RoleSeeker && reason == "":
		return EndedBySeeker, nil
	case p.Role == RoleSeeker:
		return "", Errorf(CodeInvalid, `a seeker ends with reason "" or "left"`)
	case reason == EndedByBlocked:
		if r, ok := s.cfg.Staff.(ActionRecorder); ok {
			if err := r.Record(ctx, p.StaffID, "conversation.blocked", "conversation:"+conversationID, ""); err != nil {
				s.log.Error("refusing to block: its audit row could not be written", "error", err)
				return "", Errorf(CodeUnavailable, "could not record the block; try again in a moment")
			}
		}
		return EndedByBlocked, nil
	case reason == "":
		return EndedByCounselor, nil
	default:
		return "", Errorf(CodeInvalid, `staff end with reason "" or "blocked"`)
	}
}

// PauseMarker gives the seeker of a conversation that staff ended as
// blocked the marker their browser presents when starting again, and until
// when it holds. Any other conversation gets CodeConflict.
func (s *Service) PauseMarker(ctx context.Context, token string) (string, time.Time, error) {
	p, err := s.tokens.Verify(token)
	if err != nil || p.Role != RoleSeeker {
		return "", time.Time{}, errBadToken
	}
	c, err := s.store.Conversation(ctx, p.ConversationID)
	if err != nil {
		return "", time.Time{}, s.safe(err)
	}
	if c.Status != StatusEnded || c.EndedBy != EndedByBlocked {
		return "", time.Time{}, Errorf(CodeConflict, "this conversation was not ended as blocked")
	}
	marker, until := s.tokens.IssuePause(s.cfg.BlockPause)
	return marker, until, nil
}

// CheckPause refuses a new conversation while marker (what the browser
// presented; "" for none) is a valid pause: a *ClosedError with reason
// "paused" and the time it ends. A marker that is forged, expired or not a
// pause marker is ignored: it pauses nothing.
func (s *Service) CheckPause(marker string) error {
	if marker == "" {
		return nil
	}
	if until, ok := s.tokens.VerifyPause(marker); ok {
		return &ClosedError{Reason: "paused", NextOpen: until}
	}
	return nil
}

// IssuePause returns a pause marker valid for ttl: no subject, no
// conversation, only its type, audience and dates.
func (t *Tokens) IssuePause(ttl time.Duration) (string, time.Time) {
	return t.sign(claims{RegisteredClaims: jwt.RegisteredClaims{Audience: jwt.ClaimStrings{audiencePause}}, Type: "pause"}, ttl)
}

// VerifyPause reports until when a pause marker holds, if it is one of
// ours and not expired.
func (t *Tokens) VerifyPause(marker string) (time.Time, bool) {
	var c claims
	_, err := jwt.ParseWithClaims(marker, &c, t.keyFor, jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(t.now), jwt.WithIssuedAt(), jwt.WithAudience(audiencePause))
	if err != nil || c.Type != "pause" || c.Subject != "" {
		return time.Time{}, false
	}
	return c.ExpiresAt.Time, true
}
