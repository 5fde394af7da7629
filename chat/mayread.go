package chat

import "context"

// MayRead returns a conversation whose content p may read (AccessRead: its
// seeker, the counsellor it is assigned to, supervisors and admins), for
// features that keep something beside a conversation and must show it only
// to those who may read the conversation itself (counselors/casenotes). A
// refusal is "not found" and leaves the same trace as a refused watch. It
// audits no read: the caller audits what it then shows.
func (s *Service) MayRead(ctx context.Context, p Principal, id string) (Conversation, error) {
	c, err := s.conversation(ctx, p, id, AccessRead)
	if ErrorCode(err) == CodeNotFound {
		s.refused(ctx, p, id)
	}
	return c, err
}
