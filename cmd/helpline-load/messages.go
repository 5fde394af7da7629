package main

import (
	"context"
	"math/rand/v2"
	"time"

	"helpline/chat/chatclient"
)

// assigned records that a seeker learnt a counsellor took its conversation.
func (r *runner) assigned(conv *conversation) {
	now := nowNs()
	if conv.assignedNs.CompareAndSwap(0, now) {
		// Only arrivals of the ramp count: the queue phase makes seekers wait on purpose.
		if a := conv.arrivedNs.Load(); a != 0 && r.phase.Load() == phaseSetup {
			r.assign.add(time.Duration(now - a))
		}
		r.tryEstablish(conv)
	}
}

func (r *runner) synced(conv *conversation, s sideID) {
	if !conv.synced[s].Swap(true) {
		r.tryEstablish(conv)
	}
}

func (r *runner) tryEstablish(conv *conversation) {
	if conv.assignedNs.Load() != 0 && conv.synced[0].Load() && conv.synced[1].Load() && conv.counted.CompareAndSwap(false, true) {
		r.count.established.Add(1)
	}
}

func (r *runner) nextInterval() time.Duration {
	d := r.o.Interval
	if j := r.o.Jitter; j > 0 {
		d += rand.N(2*j+1) - j
	}
	return max(d, time.Millisecond)
}

// sendLoop is one side of one conversation typing away.
func (r *runner) sendLoop(ctx context.Context, conv *conversation, s sideID) {
	defer r.senders.Done()
	c := conv.clients[s].Load()
	if c == nil {
		return
	}
	t := time.NewTimer(rand.N(r.o.Interval) + 1) // spread the first sends
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.sendOne(ctx, c, conv, s)
		t.Reset(r.nextInterval())
	}
}

func (r *runner) sendOne(ctx context.Context, c *client, conv *conversation, s sideID) {
	ws, lim := c.conn(ctx)
	if ws == nil || lim.Wait(ctx) != nil {
		return
	}
	sentAt := nowNs()
	conv.mu.Lock()
	n := len(conv.sent[s])
	conv.sent[s] = append(conv.sent[s], msgRec{sentAt: sentAt})
	conv.mu.Unlock()
	r.count.sent.Add(1)
	data := sendFrame(conv.id, clientID(conv.idx, n), messageBody(conv.idx, s, n, sentAt, r.o.BodyBytes))
	c.lastOut.Store(sentAt)
	if c.writeOnce(ctx, ws, data) == nil {
		return
	}
	// The connection failed under us: send it on the next one (the
	// reconnect resends it too; the server stores it once).
	go c.deliver(r.ctx, data)
}

// frameFor rebuilds the send frame of message n of side s.
func (r *runner) frameFor(conv *conversation, s sideID, n int, sentAt int64) []byte {
	return sendFrame(conv.id, clientID(conv.idx, n), messageBody(conv.idx, s, n, sentAt, r.o.BodyBytes))
}

// unacked returns the send frames of side s's messages not yet acknowledged.
func (r *runner) unacked(conv *conversation, s sideID) [][]byte {
	conv.mu.Lock()
	defer conv.mu.Unlock()
	var out [][]byte
	for n, m := range conv.sent[s] {
		if m.ackSeq == 0 {
			out = append(out, r.frameFor(conv, s, n, m.sentAt))
		}
	}
	return out
}

func (r *runner) acked(c *client, f *chatclient.Frame) {
	idx, n, ok := parseClientID(f.ClientID)
	conv := r.reg.at(idx)
	if !ok || conv == nil || conv.id != f.ConversationID {
		r.count.foreign.Add(1)
		return
	}
	conv.mu.Lock()
	if n < 0 || n >= len(conv.sent[c.side]) {
		conv.mu.Unlock()
		r.count.foreign.Add(1)
		return
	}
	m := &conv.sent[c.side][n]
	first, prev := m.ackSeq == 0, m.ackSeq
	if first {
		m.ackSeq = f.Seq
	}
	sentAt := m.sentAt
	conv.mu.Unlock()
	switch {
	case first:
		r.count.acked.Add(1)
		if r.phase.Load() == phaseSteady {
			r.ack.add(time.Duration(nowNs() - sentAt))
		}
	case prev != f.Seq:
		r.count.ackConflicts.Add(1)
		r.count.note("message %s of conversation %d acknowledged as seq %d and as seq %d: stored twice", f.ClientID, idx, prev, f.Seq)
	default:
		r.count.ackRepeats.Add(1)
	}
}

// receivedMsg checks one message the other side (from) wrote.
func (r *runner) receivedMsg(conv *conversation, from sideID, body string) {
	now := nowNs()
	idx, s, n, sentAt, ok := parseBody(body)
	if !ok || idx != conv.idx || s != from {
		r.count.foreign.Add(1)
		r.count.note("unexpected message body in conversation %d: %.40q", conv.idx, body)
		return
	}
	conv.mu.Lock()
	if n < 0 || n >= len(conv.sent[s]) {
		conv.mu.Unlock()
		r.count.foreign.Add(1)
		return
	}
	m := &conv.sent[s][n]
	m.recv++
	first := m.recv == 1
	conv.mu.Unlock()
	if !first {
		r.count.dupReceipts.Add(1)
		r.count.note("message %d-%d-%d received %d times", idx, s, n, m.recv)
		return
	}
	r.count.received.Add(1)
	switch r.phase.Load() {
	case phaseSteady:
		r.count.steadyReceived.Add(1)
		r.latency.add(time.Duration(now - sentAt))
		r.latencyTo[from.other()].add(time.Duration(now - sentAt))
		r.slow.add(sentAt, time.Duration(now-sentAt))
	default:
		r.stormLatency.add(time.Duration(now - sentAt))
	}
}

func (r *runner) sendFailed(c *client, idx, n int, f *chatclient.Frame) {
	conv := r.reg.at(idx)
	if conv == nil {
		r.count.foreign.Add(1)
		return
	}
	conv.mu.Lock()
	var sentAt, ackSeq int64
	if n >= 0 && n < len(conv.sent[c.side]) {
		sentAt, ackSeq = conv.sent[c.side][n].sentAt, conv.sent[c.side][n].ackSeq
	}
	conv.mu.Unlock()
	if ackSeq != 0 {
		// A repeat (after a reconnect) of a send already stored and
		// acknowledged, refused because the conversation has ended since.
		r.count.lateRefusals.Add(1)
		return
	}
	switch f.Code {
	case "unavailable", "internal", "rate_limited":
		// Not stored: send the same client id again shortly (after a
		// longer pause when told to slow down, as the page does).
		r.count.sendRetries.Add(1)
		data := r.frameFor(conv, c.side, n, sentAt)
		pause := time.Second
		if f.Code == "rate_limited" {
			pause = 5 * time.Second
		}
		time.AfterFunc(pause, func() { c.deliver(r.ctx, data) })
	default:
		r.count.sendErrors.Add(1)
		r.count.note("send %s refused: %s: %s", f.Ref, f.Code, f.Message)
	}
}
