package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The pairs workload against the reference relay (package relay): the same
// arrivals, pacing, bodies, accounting and measurements as against
// helpline, over the relay's protocol. Conversation i is room "p<i>"; the
// relay writes every message to both members, so the sender's own copy
// stands for helpline's ack.

// pairPeer is one side of one pair on a bare target: the relay, or
// Centrifugo (centrifugorun.go). Conversation i is room (channel) "p<i>".
type pairPeer interface {
	// connect dials and returns once the side can send and receive.
	connect(ctx context.Context) error
	close()
	// send writes message n of this side, body as messageBody made it.
	send(ctx context.Context, n int, body string) error
	pair() (*conversation, sideID)
}

// newPeer makes one side of one pair for a bare target.
type newPeer func(r *runner, conv *conversation, s sideID) pairPeer

// bareSide is what one side of one pair holds on either bare target: its
// pair and its socket.
type bareSide struct {
	r    *runner
	conv *conversation
	side sideID

	mu sync.Mutex // one writer at a time
	ws *websocket.Conn
}

func (b *bareSide) pair() (*conversation, sideID) { return b.conv, b.side }

func (b *bareSide) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ws != nil {
		b.ws.CloseNow()
		b.ws = nil
	}
}

// peer is one side of one pair on the relay.
type peer struct{ bareSide }

// runRelay is Run for TargetRelay.
func runRelay(ctx context.Context, o Options) (Report, error) {
	return runBare(ctx, o, func(r *runner, conv *conversation, s sideID) pairPeer {
		return &peer{bareSide{r: r, conv: conv, side: s}}
	})
}

// runBare runs the pairs workload against a bare target whose sides
// newPeer makes.
func runBare(ctx context.Context, o Options, newPeer newPeer) (Report, error) {
	nw, err := newNetwork(ctx, o.URL, o.LocalAddrs)
	if err != nil {
		return Report{}, err
	}
	defer nw.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &runner{o: o, nw: nw, ctx: ctx, reg: registry{byID: map[string]*conversation{}}, traffic: newTraffic(), consoleTraffic: newTraffic()}
	rep := newReport(o)
	mon := startMonitor(o.ServerPID, 250*time.Millisecond)
	defer mon.close()
	start := usage{generator: selfCPU(), server: mon.sample()}
	rep.Machine.LoadBefore = loadAverage()
	rep.Server.RSSIdleKiB = start.server.RSSKiB
	rep.Server.RSSBaselineKiB = r.settle(ctx, mon)

	peers, half := r.relayRamp(ctx, &rep, mon, newPeer)
	defer func() {
		for _, p := range peers {
			p.close()
		}
	}()
	established := r.establishedConversations()
	r.measureConnected(ctx, &rep, mon, half, nil)
	if o.OnPhase != nil {
		o.OnPhase("connected")
	}
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	r.steady(ctx, sendCtx, &rep, mon, established, nil, func(ctx context.Context, conv *conversation, s sideID) {
		r.relaySendLoop(ctx, peers[2*conv.idx+int(s)])
	})
	stopSending()
	r.senders.Wait()
	r.drain(ctx, &rep)
	for _, p := range peers {
		p.close()
	}
	r.close(ctx, &rep, mon, start, established)
	return rep, nil
}

// relayRamp connects the pairs at o.ArrivalRate, counsellor then seeker,
// and waits until every pair is connected on both sides.
func (r *runner) relayRamp(ctx context.Context, rep *Report, mon *monitor, newPeer newPeer) ([]pairPeer, halfway) {
	o := r.o
	if o.OnPhase != nil {
		o.OnPhase("ramp")
	}
	peers := make([]pairPeer, 2*o.Seekers)
	for i := range o.Seekers {
		conv := r.reg.get("p" + strconv.Itoa(i))
		for _, s := range []sideID{counselorSide, seekerSide} {
			peers[2*i+int(s)] = newPeer(r, conv, s)
		}
	}
	t0 := time.Now()
	r.logf("%d pairs arriving at %.0f/s on the %s", o.Seekers, o.ArrivalRate, o.Target)
	go func() {
		for i := range o.Seekers {
			sleep(ctx, time.Until(t0.Add(time.Duration(float64(i)/o.ArrivalRate*float64(time.Second)))))
			if ctx.Err() != nil {
				return
			}
			r.arrivals.Add(1)
			go r.relayArrive(ctx, peers[2*i+int(counselorSide)], peers[2*i+int(seekerSide)])
		}
	}()
	allIn, half := r.awaitEstablished(ctx, mon, "pairs connected")
	r.arrivals.Wait()
	rep.Phases.Ramp = secs(time.Since(t0))
	if !allIn {
		rep.fail("only %d of %d pairs connected within %s", r.count.established.Load(), o.Seekers, o.AssignTimeout)
	}
	return peers, half
}

// relayArrive connects one pair, the counsellor first as in helpline's
// pairs mode; the pair is established once both are in the room.
func (r *runner) relayArrive(ctx context.Context, pairs ...pairPeer) {
	defer r.arrivals.Done()
	r.count.arrivals.Add(1)
	for _, p := range pairs {
		if err := p.connect(ctx); err != nil {
			r.count.arrivalFailures.Add(1)
			r.count.connectFailures.Add(1)
			r.count.note("%s: connecting failed: %v", r.o.Target, err)
			return
		}
	}
	conv, _ := pairs[0].pair()
	conv.synced[0].Store(true)
	conv.synced[1].Store(true)
	conv.counted.Store(true)
	r.count.established.Add(1)
}

func (p *peer) connect(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := p.r.nw.base + "/ws?room=" + url.QueryEscape(p.conv.id)
	ws, _, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPClient: p.r.nw.ws, HTTPHeader: http.Header{"Origin": []string{p.r.nw.base}}})
	if err != nil {
		return err
	}
	ws.SetReadLimit(readLimit)
	p.mu.Lock()
	p.ws = ws
	p.mu.Unlock()
	p.r.count.connects.Add(1)
	p.r.count.opened()
	p.r.readers.Add(1)
	go p.read(ctx, ws)
	return nil
}

func (p *peer) send(ctx context.Context, _ int, body string) error { return p.write(ctx, body) }

// read takes every message of the room: the other side's is a receipt,
// our own copy the acknowledgement.
func (p *peer) read(ctx context.Context, ws *websocket.Conn) {
	defer p.r.readers.Done()
	defer p.r.count.open.Add(-1)
	var buf bytes.Buffer
	for {
		_, data, err := readFrame(ctx, ws, &buf)
		if err != nil {
			return
		}
		body := string(data)
		idx, s, n, _, ok := parseBody(body)
		switch {
		case !ok || idx != p.conv.idx:
			p.r.traffic.add("other", len(data))
			p.r.count.foreign.Add(1)
		case s == p.side:
			p.r.traffic.add("ack", len(data))
			p.r.relayAcked(p.conv, s, n)
		default:
			p.r.traffic.add("message", len(data))
			p.r.receivedMsg(p.conv, s, body)
		}
	}
}

// relayAcked records that the target acknowledged message n of side s: the
// relay by sending it back, Centrifugo by its publish reply.
func (r *runner) relayAcked(conv *conversation, s sideID, n int) {
	conv.mu.Lock()
	if n < 0 || n >= len(conv.sent[s]) {
		conv.mu.Unlock()
		r.count.foreign.Add(1)
		return
	}
	m := &conv.sent[s][n]
	first := m.ackSeq == 0
	if first {
		m.ackSeq = int64(n + 1)
	}
	sentAt := m.sentAt
	conv.mu.Unlock()
	if !first {
		r.count.ackConflicts.Add(1) // the relay wrote it twice
		return
	}
	r.count.acked.Add(1)
	if r.phase.Load() == phaseSteady {
		r.ack.add(time.Duration(nowNs() - sentAt))
	}
}

// relaySendLoop is one side of one pair typing away, paced as sendLoop.
func (r *runner) relaySendLoop(ctx context.Context, p pairPeer) {
	defer r.senders.Done()
	t := time.NewTimer(rand.N(r.o.Interval) + 1)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		conv, side := p.pair()
		sentAt := nowNs()
		conv.mu.Lock()
		n := len(conv.sent[side])
		conv.sent[side] = append(conv.sent[side], msgRec{sentAt: sentAt})
		conv.mu.Unlock()
		r.count.sent.Add(1)
		// Written on the run's context, not ctx: a write that the end of
		// the steady phase interrupted would close the socket, and lose
		// the sender its own copy of a message the other side got.
		if err := p.send(r.ctx, n, messageBody(conv.idx, side, n, sentAt, r.o.BodyBytes)); err != nil && ctx.Err() == nil {
			r.count.note("%s: sending failed: %v", r.o.Target, err)
		}
		t.Reset(r.nextInterval())
	}
}

func (p *peer) write(ctx context.Context, body string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ws == nil {
		return fmt.Errorf("not connected")
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return p.ws.Write(wctx, websocket.MessageText, []byte(body))
}
