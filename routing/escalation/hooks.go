package escalation

import "context"

// OnRaised hands over f, told of every escalation raised or added to (not
// of a retried request), after it is stored: counselors/care counts the
// escalated conversations of each counsellor from it. Call it once, before
// the service takes requests.
func (s *Service) OnRaised(f func(ctx context.Context, e Escalation)) { s.onRaised = f }

func (s *Service) tellRaised(ctx context.Context, e Escalation) {
	if s.onRaised != nil {
		s.onRaised(ctx, e)
	}
}
