package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// QueueReport is the waiting-queue phase (offer routing): every counsellor
// is full and Waiting seekers wait; then, round after round, one
// conversation ends. Offer is the time from that seeker's end frame to its
// counsellor receiving the offer of the next waiting conversation; Position
// is the time from that counsellor's accept to each seeker behind the taken
// one receiving a position frame.
type QueueReport struct {
	Waiting  int         `json:"waiting"` // seekers waiting when the rounds began
	Rounds   int         `json:"rounds"`
	Offer    Percentiles `json:"offer"`
	Position Percentiles `json:"position"`
	// NoOffer counts rounds with no offer within 5 s; MissedPositions
	// seekers who saw no new position within 2 s.
	NoOffer         int `json:"no_offer"`
	MissedPositions int `json:"missed_positions"`
}

// queue runs the waiting-queue phase. It needs every counsellor full, so
// that the one whose conversation ends is the only one who can be offered.
func (r *runner) queue(ctx context.Context, rep *Report, established []*conversation) {
	qr := &QueueReport{}
	rep.Queue = qr
	still, ok := r.fillQueue(ctx)
	if !ok {
		return
	}
	qr.Waiting = len(still)
	if len(still) == 0 {
		rep.fail("waiting queue: no seeker was left waiting (do the counsellors have spare capacity?)")
		return
	}
	var offers, positions samples
	ending := slices.Clone(established)
	for round := 0; round < r.o.QueueRounds && len(still) > 0 && len(ending) > 0 && ctx.Err() == nil; round++ {
		conv := ending[0]
		ending = ending[1:]
		if seeker := conv.clients[seekerSide].Load(); seeker != nil {
			still = r.queueRound(ctx, round, seeker, conv, still, qr, &offers, &positions)
		}
	}
	qr.Offer = offers.summary()
	qr.Position = positions.summary()
	if qr.NoOffer > 0 || qr.MissedPositions > 0 {
		rep.fail("waiting queue: %d rounds without an offer, %d seekers not told their new place within 2 s", qr.NoOffer, qr.MissedPositions)
	}
}

// fillQueue has o.Waiting more seekers arrive, waits until each is told
// its place, and returns those still waiting; false if ctx ended first.
func (r *runner) fillQueue(ctx context.Context) ([]*conversation, bool) {
	o := r.o
	before := r.reg.all()
	r.logf("waiting queue: %d more seekers arrive and wait", o.Waiting)
	start := time.Now()
	for i := range o.Waiting {
		sleep(ctx, time.Until(start.Add(time.Duration(float64(i)/o.ArrivalRate*float64(time.Second)))))
		if ctx.Err() != nil {
			return nil, false
		}
		r.arrivals.Add(1)
		go r.arrive(ctx, o.Seekers+i)
	}
	r.arrivals.Wait()
	known := map[*conversation]bool{}
	for _, c := range before {
		known[c] = true
	}
	var waiting []*conversation
	for _, c := range r.reg.all() {
		if !known[c] && c.clients[seekerSide].Load() != nil {
			waiting = append(waiting, c)
		}
	}
	// Everyone connected and told their place (or, if some counsellor had
	// room left, assigned).
	r.waitUntil(ctx, 30*time.Second+time.Duration(float64(o.Waiting)/o.ArrivalRate*float64(time.Second)), "waiting seekers placed", func() (int64, int64) {
		n := 0
		for _, c := range waiting {
			if c.positionNs.Load() != 0 || c.assignedNs.Load() != 0 {
				n++
			}
		}
		return int64(n), int64(len(waiting))
	})
	sleep(ctx, 500*time.Millisecond) // let the position frames of the last arrivals go out
	return slices.DeleteFunc(waiting, func(c *conversation) bool { return c.assignedNs.Load() != 0 }), true
}

// queueRound ends conv (its seeker leaves) and measures how fast its
// counsellor is offered the head of the queue and how fast the seekers
// behind it are told their new place. It returns the seekers still waiting.
func (r *runner) queueRound(ctx context.Context, round int, seeker *client, conv *conversation, still []*conversation,
	qr *QueueReport, offers, positions *samples) []*conversation {
	posBefore := make(map[*conversation]int64, len(still))
	for _, w := range still {
		posBefore[w] = w.position.Load()
	}
	t0 := nowNs()
	seeker.deliver(ctx, fmt.Appendf(nil, `{"type":"end","conversation_id":%q,"reason":""}`, conv.id))
	head := waitOffer(ctx, still, t0)
	qr.Rounds++
	if head == nil {
		qr.NoOffer++
		r.count.note("waiting queue round %d: no offer within 5 s of an end", round)
		return still
	}
	offers.add(time.Duration(head.offeredNs.Load() - t0))
	// Everyone behind the taken conversation moves up.
	var tA int64
	for deadline := time.Now().Add(5 * time.Second); tA == 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		tA = head.acceptNs.Load()
	}
	still = slices.DeleteFunc(still, func(c *conversation) bool { return c == head })
	if tA == 0 {
		return still
	}
	qr.MissedPositions += waitPositions(still, posBefore, posBefore[head], tA, positions)
	sleep(ctx, 200*time.Millisecond)
	return still
}

// waitOffer returns the waiting conversation offered after t0 (the
// counsellor who just got room is offered the next one), or nil if none
// is within 5 s.
func waitOffer(ctx context.Context, still []*conversation, t0 int64) *conversation {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; {
		for _, w := range still {
			if w.offeredNs.Load() > t0 {
				return w
			}
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// waitPositions records, for each seeker that was behind the taken one
// (place after headPos), how long after tA it was told its new place,
// waiting at most 2 s; it returns how many were not told.
func waitPositions(still []*conversation, posBefore map[*conversation]int64, headPos, tA int64, positions *samples) int {
	pending := map[*conversation]bool{}
	for _, w := range still {
		if posBefore[w] > headPos {
			pending[w] = true
		}
	}
	for deadline := time.Now().Add(2 * time.Second); len(pending) > 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for w := range pending {
			if t := w.positionNs.Load(); t > tA && w.position.Load() != posBefore[w] {
				positions.add(time.Duration(t - tA))
				delete(pending, w)
			}
		}
	}
	return len(pending)
}
