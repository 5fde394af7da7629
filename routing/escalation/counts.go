package escalation

import (
	"context"
	"strconv"
	"time"

	"helpline/chat"
)

// Anonymous counts for the transparency report. Both stores add them in
// the same transaction (or under the same lock) as the state change they
// count, keyed by the day the escalation was raised (UTC), a field and a
// value: no escalation, conversation or staff id, no time finer than a
// day. They stay when the escalations go with their conversations.
//
// Every count of one escalation goes to the day it was raised, so that the
// figures of a period describe the escalations raised in it: raised by
// reason, urgency and whether anyone was on shift; whether the deadline
// was met or missed; how long acknowledging took; how it was resolved.
// Debriefs are left out: what a counsellor asks for their own care is
// never in reports.
const (
	CountReason       = "by_reason"    // value: the Reason, at raising
	CountUrgency      = "by_urgency"   // value: the Urgency at raising (raising again may make it more urgent; not counted)
	CountOnShift      = "on_shift"     // value: OnShiftSupervisor or OnShiftNobody
	CountDeadline     = "deadline"     // value: DeadlineMet or DeadlineMissed
	CountResolution   = "resolution"   // value: the Outcome
	CountAcknowledged = "acknowledged" // value: the AckBuckets index (decimal) of raise → acknowledgement
)

// Values of the counts that are not a Reason, an Urgency or an Outcome.
const (
	OnShiftSupervisor = "supervisor_on_shift"
	OnShiftNobody     = "nobody_on_shift"
	DeadlineMet       = "met"
	DeadlineMissed    = "missed" // re-alerted, or acknowledged after the deadline
)

// AckBuckets are the upper bounds of the histogram of how long an
// escalation waited for its acknowledgement: bucket i holds waits above
// AckBuckets[i-1] and at most AckBuckets[i]; the last holds the rest.
var AckBuckets = []time.Duration{
	15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour,
}

// Count is one anonymous count: N escalations raised on Day (YYYY-MM-DD)
// had Value for Field.
type Count struct {
	Day, Field, Value string
	N                 int64
}

// Counter reads the counts of the days in [from, to) (dates, UTC). Both
// stores implement it.
type Counter interface {
	Counts(ctx context.Context, from, to time.Time) ([]Count, error)
}

func countedDay(e Escalation) string { return e.RaisedAt.UTC().Format(time.DateOnly) }

func counted(e Escalation) bool { return e.Reason != ReasonDebrief }

// raisedCounts are counted when an escalation is created.
func raisedCounts(e Escalation) []Count {
	if !counted(e) {
		return nil
	}
	day := countedDay(e)
	onShift := OnShiftSupervisor
	if e.NobodyOnShift {
		onShift = OnShiftNobody
	}
	return []Count{{day, CountReason, string(e.Reason), 1}, {day, CountUrgency, string(e.Urgency), 1}, {day, CountOnShift, onShift, 1}}
}

// acknowledgedCounts are counted when e (as it is after the change) was
// acknowledged, by a supervisor or by resolving it unacknowledged: how
// long it took and, unless the missed deadline was counted when it
// re-alerted, whether it was in time.
func acknowledgedCounts(e Escalation) []Count {
	if !counted(e) || e.AckAt.IsZero() {
		return nil
	}
	day := countedDay(e)
	out := []Count{{day, CountAcknowledged, strconv.Itoa(chat.BucketOf(AckBuckets, e.AckAt.Sub(e.RaisedAt))), 1}}
	if e.LateAlertedAt.IsZero() {
		deadline := DeadlineMet
		if e.AckAt.After(e.DueAt) {
			deadline = DeadlineMissed
		}
		out = append(out, Count{day, CountDeadline, deadline, 1})
	}
	return out
}

// lateCounts are counted when an open escalation's missed deadline
// re-alerts (once per escalation, Store.ClaimLate).
func lateCounts(e Escalation) []Count {
	if !counted(e) {
		return nil
	}
	return []Count{{countedDay(e), CountDeadline, DeadlineMissed, 1}}
}

// resolvedCounts are counted when e is resolved; wasOpen: it had not been
// acknowledged before, so resolving acknowledges it too.
func resolvedCounts(e Escalation, wasOpen bool) []Count {
	if !counted(e) {
		return nil
	}
	out := []Count{{countedDay(e), CountResolution, string(e.Outcome), 1}}
	if wasOpen {
		out = append(out, acknowledgedCounts(e)...)
	}
	return out
}
