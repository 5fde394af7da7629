package routing

import "time"

// Closed says why a new seeker cannot join the queue now; Accepting means they
// can. Each reason gets its own clear message with alternatives (configured
// links and phone numbers) from the caller.
type Closed string

const (
	Accepting         Closed = ""
	ClosedHours       Closed = "hours"        // outside opening hours, or a holiday
	ClosedNoCounselor Closed = "no_counselor" // open, but no one is on shift
	ClosedQueueFull   Closed = "queue_full"   // the queue is at its configured maximum
)

// Availability decides whether a new seeker may join the queue at now, given
// how many are waiting, the queue's maximum (<= 0: no maximum) and how many
// counsellors are on shift (Status.OnShift). The reasons are checked in that
// order, so the seeker hears the most lasting one. It is only for new arrivals:
// seekers already waiting when the service closes are still served.
func Availability(h Hours, now time.Time, waiting, maxQueue, onShift int) Closed {
	switch {
	case !h.Open(now):
		return ClosedHours
	case onShift <= 0:
		return ClosedNoCounselor
	case maxQueue > 0 && waiting >= maxQueue:
		return ClosedQueueFull
	}
	return Accepting
}
