package server

import (
	"context"
	"time"

	"helpline/counselors/transparency"
	"helpline/counselors/wrapup"
	"helpline/routing/referral/refer"
)

// addReportSources gives the transparency report the sections of the
// features that keep anonymous counts: referrals by what happened (cards
// sent, warm referrals offered, consented, declined, withdrawn, contact
// confirmed by the partner), wrap-ups by field and answer, and escalations
// (reportEscalations).
func (s *Server) addReportSources() {
	if s.Report == nil {
		return
	}
	if s.Referrals != nil {
		s.Report.AddSource(transparency.EventsSource("referrals", "by_event",
			[]string{refer.CountCard, refer.CountWarmOffered, refer.CountConsented, refer.CountDeclined, refer.CountWithdrawn, refer.CountContactMade},
			s.Referrals.Counts))
	}
	if s.Escalations != nil {
		s.Report.AddSource(reportEscalations(s.Escalations))
	}
	if w := s.Tools.Wrapups; w != nil {
		s.Report.AddSource(transparency.FieldsSource("wrapup", func(ctx context.Context, from, to time.Time) ([]transparency.FieldCount, error) {
			counts, err := w.DailyCounts(ctx, from, to.AddDate(0, 0, -1)) // its days are both included
			if err != nil {
				return nil, err
			}
			out := make([]transparency.FieldCount, 0, len(counts))
			for _, c := range counts {
				field := c.Field
				if field == wrapup.CompletedField {
					field = "completed"
				}
				out = append(out, transparency.FieldCount{Field: field, Value: c.Value, N: c.N})
			}
			return out, nil
		}))
	}
}
