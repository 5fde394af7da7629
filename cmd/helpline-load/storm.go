package main

import (
	"context"
	"time"
)

// storm drops every client at once and waits until every conversation has
// been synced again on both sides.
func (r *runner) storm(ctx context.Context, established []*conversation) *StormReport {
	r.phase.Store(phaseStorm)
	clients := r.allClients()
	sr := &StormReport{Clients: len(clients), Conversations: len(established)}
	sr.InFlight = r.count.sent.Load() - r.count.acked.Load()
	resent0, fail0 := r.count.resent.Load(), r.count.connectFailures.Load()
	r.logf("reconnect storm: dropping %d connections", len(clients))
	start := time.Now()
	for _, c := range clients {
		c.drop()
	}
	r.waitUntil(ctx, r.o.ResumeTimeout, "conversations resumed", func() (int64, int64) {
		n := 0
		for _, conv := range established {
			if conv.resumedNs[0].Load() != 0 && conv.resumedNs[1].Load() != 0 {
				n++
			}
		}
		return int64(n), int64(len(established))
	})
	var perClient, perConv []int64
	for _, c := range clients {
		if t := c.resumedNs.Load(); t != 0 {
			perClient = append(perClient, t-start.UnixNano())
		}
	}
	var last int64
	for _, conv := range established {
		a, b := conv.resumedNs[0].Load(), conv.resumedNs[1].Load()
		if a != 0 && b != 0 {
			sr.Resumed++
			t := max(a, b) - start.UnixNano()
			perConv = append(perConv, t)
			last = max(last, t)
		}
	}
	sr.ClientsResumed = len(perClient)
	sr.AllResumedSeconds = secs(time.Duration(last))
	sr.Client = summarize(perClient)
	sr.Conversation = summarize(perConv)
	sr.Resent = r.count.resent.Load() - resent0
	sr.FailedAttempts = r.count.connectFailures.Load() - fail0
	return sr
}
