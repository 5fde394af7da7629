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
	o := r.o
	qr := &QueueReport{}
	rep.Queue = qr
	before := r.reg.all()
	r.logf("waiting queue: %d more seekers arrive and wait", o.Waiting)
	start := time.Now()
	for i := range o.Waiting {
		sleep(ctx, time.Until(start.Add(time.Duration(float64(i)/o.ArrivalRate*float64(time.Second)))))
		if ctx.Err() != nil {
			return
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
	still := slices.DeleteFunc(waiting, func(c *conversation) bool { return c.assignedNs.Load() != 0 })
	qr.Waiting = len(still)
	if len(still) == 0 {
		rep.fail("waiting queue: no seeker was left waiting (do the counsellors have spare capacity?)")
		return
	}

	var offers, positions samples
	ending := slices.Clone(established)
	for round := 0; round < o.QueueRounds && len(still) > 0 && len(ending) > 0 && ctx.Err() == nil; round++ {
		conv := ending[0]
		ending = ending[1:]
		seeker := conv.clients[seekerSide].Load()
		if seeker == nil {
			continue
		}
		posBefore := make(map[*conversation]int64, len(still))
		for _, w := range still {
			posBefore[w] = w.position.Load()
		}
		t0 := nowNs()
		seeker.deliver(ctx, fmt.Appendf(nil, `{"type":"end","conversation_id":%q,"reason":""}`, conv.id))
		// The counsellor who just got room is offered the next conversation.
		var head *conversation
		for deadline := time.Now().Add(5 * time.Second); head == nil && time.Now().Before(deadline) && ctx.Err() == nil; {
			for _, w := range still {
				if w.offeredNs.Load() > t0 {
					head = w
					break
				}
			}
			if head == nil {
				time.Sleep(time.Millisecond)
			}
		}
		qr.Rounds++
		if head == nil {
			qr.NoOffer++
			r.count.note("waiting queue round %d: no offer within 5 s of an end", round)
			continue
		}
		offers.add(time.Duration(head.offeredNs.Load() - t0))
		// Everyone behind the taken conversation moves up.
		var tA int64
		for deadline := time.Now().Add(5 * time.Second); tA == 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			tA = head.acceptNs.Load()
		}
		still = slices.DeleteFunc(still, func(c *conversation) bool { return c == head })
		if tA == 0 {
			continue
		}
		pending := map[*conversation]bool{}
		for _, w := range still {
			if posBefore[w] > posBefore[head] {
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
		qr.MissedPositions += len(pending)
		sleep(ctx, 200*time.Millisecond)
	}
	qr.Offer = offers.summary()
	qr.Position = positions.summary()
	if qr.NoOffer > 0 || qr.MissedPositions > 0 {
		rep.fail("waiting queue: %d rounds without an offer, %d seekers not told their new place within 2 s", qr.NoOffer, qr.MissedPositions)
	}
}
