package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// The pairs workload against Centrifugo (centrifugo_proto.go): the same
// arrivals, pacing, bodies, accounting and measurements as against the
// relay and helpline (runBare). Conversation i is channel "p<i>"; both
// sides subscribe to it and publish into it. A side's publish reply stands
// for helpline's ack: it is Centrifugo's answer to the command, sent once
// the publication is in the broker, what a Centrifugo client library
// resolves a publish on (the sender's own copy, which Centrifugo pushes to
// it as to every subscriber, is counted as "own" and otherwise ignored).
// The other side's push is the receipt.

// cfPeer is one side of one pair on Centrifugo.
type cfPeer struct{ bareSide }

// runCentrifugo is Run for TargetCentrifugo.
func runCentrifugo(ctx context.Context, o Options) (Report, error) {
	return runBare(ctx, o, func(r *runner, conv *conversation, s sideID) pairPeer {
		return &cfPeer{bareSide{r: r, conv: conv, side: s}}
	})
}

// connect dials, connects and subscribes, and returns once the
// subscription is confirmed: from then on the side receives the other's
// publications.
func (p *cfPeer) connect(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, p.r.nw.base+cfPath, &websocket.DialOptions{HTTPClient: p.r.nw.ws, HTTPHeader: http.Header{"Origin": []string{p.r.nw.base}}})
	if err != nil {
		return err
	}
	ws.SetReadLimit(readLimit)
	p.mu.Lock()
	p.ws = ws
	p.mu.Unlock()
	p.r.count.connects.Add(1)
	p.r.count.opened()
	subscribed := make(chan error, 1)
	p.r.readers.Add(1)
	go p.read(ctx, ws, subscribed)
	if err := p.write(dctx, cfHello(p.conv.id)); err != nil {
		return err
	}
	select {
	case err = <-subscribed:
	case <-dctx.Done():
		err = fmt.Errorf("no subscribe reply: %w", dctx.Err())
	}
	if err != nil {
		p.close()
	}
	return err
}

// read handles every line from the server until the socket closes;
// subscribed gets the outcome of the connect and subscribe commands.
func (p *cfPeer) read(ctx context.Context, ws *websocket.Conn, subscribed chan<- error) {
	defer p.r.readers.Done()
	defer p.r.count.open.Add(-1)
	settle := func(err error) {
		select {
		case subscribed <- err:
		default:
		}
	}
	var buf bytes.Buffer
	for {
		_, data, err := readFrame(ctx, ws, &buf)
		if err != nil {
			settle(err)
			p.mu.Lock()
			ours := p.ws != ws // closed by close(), not by the server
			p.mu.Unlock()
			if !ours && ctx.Err() == nil {
				p.r.count.unexpectedDrops.Add(1)
				p.r.count.note("centrifugo: connection of %s closed: %v", p.conv.id, err)
			}
			return
		}
		cfDecode(data, func(m cfMsg) { p.handle(ctx, m, settle) })
	}
}

// handle is one line from the server.
func (p *cfPeer) handle(ctx context.Context, m cfMsg, settle func(error)) {
	r := p.r
	switch m.kind {
	case cfPing:
		r.traffic.add("ping", m.size)
		if err := p.write(ctx, cfPong); err != nil && ctx.Err() == nil {
			r.count.note("centrifugo: pong failed: %v", err)
		}
	case cfReply:
		switch {
		case m.id == cfSubscribeID:
			settle(nil)
		case m.id >= cfPublishID:
			r.traffic.add("ack", m.size)
			r.relayAcked(p.conv, p.side, int(m.id-cfPublishID))
		}
	case cfError:
		r.traffic.add("error", m.size)
		if m.id < cfPublishID {
			settle(errors.New("centrifugo: " + m.what))
			return
		}
		r.count.sendErrors.Add(1)
		r.count.note("centrifugo: publish %d of %s refused: %s", m.id-cfPublishID, p.conv.id, m.what)
	case cfPub:
		p.onPub(m)
	default:
		r.traffic.add("other", m.size)
		r.count.foreign.Add(1)
		r.count.note("centrifugo: unexpected from the server: %.200s", m.what)
	}
}

// onPub is a publication on the pair's channel: the other side's message
// (a receipt), or this side's own copy.
func (p *cfPeer) onPub(m cfMsg) {
	idx, s, _, _, ok := parseBody(m.data)
	switch {
	case !ok || idx != p.conv.idx || m.channel != p.conv.id:
		p.r.traffic.add("other", m.size)
		p.r.count.foreign.Add(1)
	case s == p.side:
		p.r.traffic.add("own", m.size)
	default:
		p.r.traffic.add("message", m.size)
		p.r.receivedMsg(p.conv, s, m.data)
	}
}

func (p *cfPeer) send(ctx context.Context, n int, body string) error {
	return p.write(ctx, cfPublish(p.conv.id, n, body))
}

func (p *cfPeer) write(ctx context.Context, data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ws == nil {
		return fmt.Errorf("not connected")
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return p.ws.Write(wctx, websocket.MessageText, data)
}
