package server

import (
	"context"
	"slices"
	"time"

	"helpline/counselors/report"
	"helpline/counselors/transparency"
	"helpline/routing/escalation"
)

// reportEscalations is the report's "escalations" section, from the
// anonymous counts the escalation stores keep: the escalations raised in
// the period by reason, urgency and whether a supervisor was on shift;
// whether the acknowledgement deadline was met (or is still pending); how
// they were resolved; how long acknowledging took (median and 90th
// percentile); and the share that missed the deadline.
func reportEscalations(svc *escalation.Service) transparency.Source {
	reasons := slices.DeleteFunc(slices.Clone(escalation.Reasons), func(r escalation.Reason) bool {
		return r == escalation.ReasonDebrief // a counsellor's own care: never in reports
	})
	return transparency.ProfileSource("escalations",
		[]transparency.Breakdown{
			{Field: escalation.CountReason, Dimension: report.ReasonDim, Values: names(reasons)},
			{Field: escalation.CountUrgency, Dimension: report.Category, Values: names(escalation.Urgencies)},
			{Field: escalation.CountOnShift, Dimension: report.Outcome, Values: []string{escalation.OnShiftSupervisor, escalation.OnShiftNobody}},
			{Field: escalation.CountDeadline, Dimension: report.Outcome, Values: []string{escalation.DeadlineMet, escalation.DeadlineMissed}, Rest: "pending"},
			{Field: escalation.CountResolution, Dimension: report.Outcome, Values: names(escalation.Outcomes), Rest: "not_resolved"},
		},
		[]transparency.Histogram{{Field: escalation.CountAcknowledged, Bounds: escalation.AckBuckets}},
		[]transparency.Proportion{{Key: "deadline_missed", Field: escalation.CountDeadline, Value: escalation.DeadlineMissed}},
		func(ctx context.Context, from, to time.Time) ([]transparency.FieldCount, error) {
			counts, err := svc.Counts(ctx, from, to)
			if err != nil {
				return nil, err
			}
			out := make([]transparency.FieldCount, len(counts))
			for i, c := range counts {
				out[i] = transparency.FieldCount{Field: c.Field, Value: c.Value, N: c.N}
			}
			return out, nil
		})
}

func names[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
