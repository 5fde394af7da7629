package main

import (
	"fmt"
	"runtime"
)

// describeLost says what is known about a message acknowledged as seq
// ackSeq but never received by the other side (called once every reader
// has stopped, so the receiver's state can be read).
func (r *runner) describeLost(conv *conversation, from sideID, n int, m msgRec) string {
	to := from.other()
	last, ended, synced := int64(-1), false, false
	if c := conv.clients[to].Load(); c != nil {
		if s := c.sides[conv.id]; s != nil {
			last, ended, synced = s.lastSeq, s.ended, s.synced
		}
	}
	return fmt.Sprintf("lost: conversation %d, %s message %d acknowledged as seq %d; the %s saw up to seq %d (ended %v, synced on its last connection %v, resumed after the storm %v, conversation ended on both sides %v/%v)",
		conv.idx, from.sender(), n, m.ackSeq, to.sender(), last, ended, synced, conv.resumedNs[to].Load() != 0,
		conv.ended[seekerSide].Load(), conv.ended[counselorSide].Load())
}

// describeStuck notes the state of a few conversations that were not
// established, for diagnosis.
func (r *runner) describeStuck() {
	n := 0
	for _, c := range r.reg.all() {
		if c.counted.Load() {
			continue
		}
		_, claimed := r.claims.Load(c.id)
		r.count.note("not established: conversation %d %s: arrived %v, seeker told assigned %v, seeker synced %v, counsellor %v, counsellor synced %v, claimed %v",
			c.idx, c.id, c.arrivedNs.Load() != 0, c.assignedNs.Load() != 0, c.synced[seekerSide].Load(),
			c.clients[counselorSide].Load() != nil, c.synced[counselorSide].Load(), claimed)
		if n++; n == 5 {
			return
		}
	}
}

// tally is what became of every message sent, as the receivers saw it.
type tally struct {
	sent, unacked, lost, lostAway, dup int64
	lostNotes                          []string // the first few losses, described
}

// tallyMessages counts, for every message sent, whether it was
// acknowledged and how many times the other side received it.
func (r *runner) tallyMessages() tally {
	var t tally
	for _, conv := range r.reg.all() {
		conv.mu.Lock()
		for s := range conv.sent {
			away := conv.endedAway[sideID(s).other()].Load()
			for n, m := range conv.sent[s] {
				t.sent++
				switch {
				case m.ackSeq == 0:
					t.unacked++
				case m.recv == 0 && away:
					t.lostAway++
				case m.recv == 0:
					t.lost++
					if len(t.lostNotes) < 5 {
						t.lostNotes = append(t.lostNotes, r.describeLost(conv, sideID(s), n, m))
					}
				}
				if m.recv > 1 {
					t.dup += int64(m.recv - 1)
				}
			}
		}
		conv.mu.Unlock()
	}
	return t
}

// account checks every message: each acknowledged one must have been
// received exactly once by the other side.
func (r *runner) account(rep *Report, established []*conversation) {
	t := r.tallyMessages()
	r.countConnections(rep, established)
	r.countMessages(rep, t)
	rep.Latency = r.latency.summary()
	rep.LatencyToSeeker = r.latencyTo[seekerSide].summary()
	rep.LatencyToCounselor = r.latencyTo[counselorSide].summary()
	rep.AckLatency = r.ack.summary()
	rep.SlowWindows = r.slow.worst(r.steadyStart, slowWindows)
	rep.StormLatency = r.stormLatency.summary()
	rep.Assignment = r.assign.summary()
	rep.Received = r.traffic.counts()
	r.judge(rep, t)
	rep.Machine.CPUs = runtime.NumCPU()
	rep.Machine.GOMAXPROCS = runtime.GOMAXPROCS(0)
	rep.Machine.GoVersion = runtime.Version()
}

// countConnections fills in the report's connections and conversations.
func (r *runner) countConnections(rep *Report, established []*conversation) {
	c := &r.count
	rep.Connections.Counselors = r.o.counselors()
	rep.Connections.Seekers = int(c.arrivals.Load() - c.arrivalFailures.Load())
	rep.Connections.Total = rep.Connections.Counselors + rep.Connections.Seekers
	rep.Connections.Peak = int(c.peakOpen.Load())
	rep.Connections.Connects = c.connects.Load()
	rep.Connections.FailedAttempts = c.connectFailures.Load()
	rep.Connections.UnexpectedDrops = c.unexpectedDrops.Load()
	rep.Connections.FramesBeforeReady = c.beforeReady.Load()
	rep.Conversations.Started = rep.Connections.Seekers
	rep.Conversations.Established = len(established)
	for _, conv := range r.reg.all() {
		if conv.ended[seekerSide].Load() {
			rep.Conversations.Ended++
		}
	}
	rep.Conversations.AcceptConflicts = c.acceptConflicts.Load()
}

// countMessages fills in the report's message counts.
func (r *runner) countMessages(rep *Report, t tally) {
	c := &r.count
	rep.Messages.Sent = t.sent
	rep.Messages.Acked = c.acked.Load()
	rep.Messages.Received = c.received.Load()
	rep.Messages.Lost = t.lost + t.lostAway + c.seqGaps.Load()
	rep.Messages.LostEndedAway = t.lostAway
	rep.Messages.Duplicated = t.dup + c.ackConflicts.Load() + c.seqRepeats.Load()
	rep.Messages.Unacked = t.unacked
	rep.Messages.SeqGaps = c.seqGaps.Load()
	rep.Messages.SeqRepeats = c.seqRepeats.Load()
	rep.Messages.Resent = c.resent.Load()
	rep.Messages.Retried = c.sendRetries.Load()
	rep.Messages.Refused = c.sendErrors.Load()
	rep.Messages.RateLimited = c.rateLimited.Load()
}

// judge lists the problems seen and fails the run for any message lost,
// duplicated, unacknowledged or refused.
func (r *runner) judge(rep *Report, t tally) {
	c := &r.count
	c.firstErrors.Lock()
	rep.Problems = append(rep.Problems, c.errorLog...)
	c.firstErrors.Unlock()
	rep.Problems = append(rep.Problems, t.lostNotes...)
	if c.foreign.Load() > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d frames about conversations or messages this run did not make", c.foreign.Load()))
	}
	if n := c.beforeReady.Load(); n > 0 {
		rep.fail("%d frames came before ready (PROTOCOL.md §3.1: ready is always the first frame)", n)
	}
	if n := c.arrivalFailures.Load(); n > 0 {
		rep.fail("%d seekers could not start a conversation", n)
	}
	if rep.Messages.Lost > 0 {
		rep.fail("%d messages lost (acknowledged but never received; seq gaps %d; %d of them because the receiver was "+
			"disconnected when the conversation ended and cannot sync an ended conversation)", rep.Messages.Lost, c.seqGaps.Load(), t.lostAway)
	}
	if rep.Messages.Duplicated > 0 {
		rep.fail("%d messages duplicated", rep.Messages.Duplicated)
	}
	if t.unacked > 0 {
		rep.fail("%d messages never acknowledged", t.unacked)
	}
	if rep.Messages.Refused > 0 {
		rep.fail("%d sends refused by the server", rep.Messages.Refused)
	}
}
