package chat

import (
	"context"
	"regexp"
	"slices"
)

// staffKindPattern is what a feature's message kind may look like.
var staffKindPattern = regexp.MustCompile(`^[a-z][a-z_]{1,31}$`)

// chatKinds are the kinds chat writes itself; a feature cannot use them.
var chatKinds = []string{KindText, KindJoined, KindEnded, KindRequeued, KindTransferred}

// SendStaffMessage is the door for a counsellor's message of a kind chat
// does not know (a referral card): stored and sequenced like a typed
// message, by the same writer, so it gets its seq, reaches both sides as a
// `message` frame and is idempotent by clientID. Only the counsellor the
// conversation is assigned to may send one (the store's rule, as for
// Send); the body is plain text the seeker can read as it is, within
// MaxBodyChars. kind is the feature's own, lower case, never one of chat's.
func (s *Service) SendStaffMessage(ctx context.Context, p Principal, staff StaffInfo, conversationID, clientID, kind, body string) AppendResult {
	if !p.Role.IsStaff() {
		return AppendResult{Err: ErrNotFound}
	}
	if !staffKindPattern.MatchString(kind) || slices.Contains(chatKinds, kind) {
		return AppendResult{Err: Errorf(CodeInvalid, "message kind %q is not a feature's own", kind)}
	}
	if err := CheckClientID(clientID); err != nil {
		return AppendResult{Err: err}
	}
	if err := CheckText(body, MaxBodyChars, false); err != nil {
		return AppendResult{Err: err}
	}
	a := Append{ConversationID: conversationID, Sender: SenderCounselor, SenderID: p.StaffID, Name: staff.DisplayName,
		ClientID: clientID, Body: body, Kind: kind}
	return s.storeFailureSaid(s.writer.Append(ctx, a))
}
