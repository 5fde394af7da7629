package counselors

import (
	"context"
	"fmt"
	"sync"
	"time"

	"helpline/chat"
)

// Refused attempts to reach a conversation are audited so that a supervisor
// can see someone probing, but a client sending random ids must not be able
// to flood the log. Per staff member, the first refusalsListed refusals of a
// minute are each written as a row; the rest of that minute are only counted
// and written as one "and N more" row when the minute is over. The counts
// live in memory: at worst a restart loses one minute's summary, never the
// first rows, which are written at once.
const (
	refusalsListed = 10
	refusalWindow  = time.Minute
)

// refusalCount is one staff member's current minute of refusals.
type refusalCount struct {
	start  time.Time
	listed int // rows written for this minute
	more   int // refusals counted but not yet written
}

type refusals struct {
	mu      sync.Mutex
	byStaff map[int64]*refusalCount
	// after runs the summary when the minute is over: time.AfterFunc, which
	// tests replace to run it when they choose.
	after func(d time.Duration, f func())
}

func newRefusals() *refusals {
	return &refusals{byStaff: map[int64]*refusalCount{}, after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// RecordRefused implements chat.StaffDirectory: it audits a refused attempt
// (AuditReadRefused, target the conversation id as given, or "(malformed)"),
// within the per-minute limit above. The caller answers "not found" whatever
// happens here, so a failed write is only logged.
func (s *Service) RecordRefused(ctx context.Context, staffID int64, conversationID string) {
	now := s.now()
	r := s.refusals
	r.mu.Lock()
	w := r.byStaff[staffID]
	if w == nil || now.Sub(w.start) >= refusalWindow {
		w = &refusalCount{start: now}
		r.byStaff[staffID] = w
	}
	if w.listed < refusalsListed {
		w.listed++
		r.mu.Unlock()
		s.audit(ctx, staffID, AuditReadRefused, refusedTarget(conversationID), "")
		return
	}
	w.more++
	first := w.more == 1
	r.mu.Unlock()
	if first {
		r.after(w.start.Add(refusalWindow).Sub(now), func() { s.summariseRefusals(staffID, w) })
	}
}

// summariseRefusals writes the one row that stands for the refusals of w's
// minute that were counted but not listed.
func (s *Service) summariseRefusals(staffID int64, w *refusalCount) {
	r := s.refusals
	r.mu.Lock()
	more := w.more
	w.more = 0
	if r.byStaff[staffID] == w {
		delete(r.byStaff, staffID) // the minute is over; the next refusal starts a new one
	}
	r.mu.Unlock()
	if more == 0 {
		return
	}
	detail := fmt.Sprintf("and %d more refused from %s to %s (only the first %d of a minute are listed)",
		more, w.start.UTC().Format(time.RFC3339), w.start.Add(refusalWindow).UTC().Format(time.RFC3339), refusalsListed)
	s.audit(context.Background(), staffID, AuditReadRefused, "conversation:(more)", detail)
}

// refusedTarget names the conversation asked for, as long as it has the shape
// of an id; anything else (a probe's junk, up to a whole frame of it) is not
// copied into the log.
func refusedTarget(conversationID string) string {
	if len(conversationID) > 64 || chat.CheckClientID(conversationID) != nil {
		return "conversation:(malformed)"
	}
	return "conversation:" + conversationID
}
