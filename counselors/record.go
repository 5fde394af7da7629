package counselors

import "context"

// Record appends one entry to the audit log for another part of the service
// (the referral directory, say), which owns its actions' names. actorID 0 is
// the system: the command line or a loader at start.
func (s *Service) Record(ctx context.Context, actorID int64, action, target, detail string) error {
	return s.store.AppendAudit(ctx, AuditEntry{At: s.now().UTC(), ActorID: actorID, Action: action, Target: target, Detail: detail})
}
