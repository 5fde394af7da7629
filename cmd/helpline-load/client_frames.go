package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"helpline/chat/chatclient"

	"github.com/coder/websocket"
)

// onReady subscribes to the conversations ready lists, resynchronises each
// after the last seq seen and sends again whatever was not acknowledged.
func (c *client) onReady(ctx context.Context, ws *websocket.Conn, ready chatclient.Frame) error {
	for _, s := range c.sides {
		s.synced = false
	}
	listed := make(map[string]bool, len(ready.Conversations))
	for _, v := range ready.Conversations {
		listed[v.ID] = true
	}
	if c.side == counselorSide {
		// Staff are given the conversations assigned to them that have not
		// ended: one missing ended (or was taken away) while we were gone.
		// Its tail is fetched with a sync, as a console does; only if that
		// is refused (taken away) is it counted as ended away.
		for id, s := range c.sides {
			if !listed[id] && !s.ended {
				s.ended = true
				c.active--
				if s.conv.ended[c.side].CompareAndSwap(false, true) {
					c.r.count.endedSides.Add(1)
				}
				c.writeNow(ctx, syncFrame(id, s.lastSeq))
			}
		}
	}
	for _, v := range ready.Conversations {
		s := c.sides[v.ID]
		if s == nil {
			if c.side == seekerSide {
				c.r.count.foreign.Add(1)
				continue
			}
			s = c.adopt(v.ID)
			if s == nil {
				continue
			}
		}
		if c.side == seekerSide && (v.Status == "active" || v.Status == "ended") {
			c.r.assigned(s.conv)
		}
	}
	// Accepts in flight on the old connection: taken if ready lists them.
	for id := range c.pending {
		if c.sides[id] == nil {
			c.r.release(id)
		}
		delete(c.pending, id)
	}
	for id, s := range c.sides {
		if s.ended {
			continue
		}
		c.writeNow(ctx, syncFrame(id, s.lastSeq))
	}
	c.checkResumed()
	// Everything not acknowledged is sent again with its client id.
	for _, s := range c.sides {
		for _, data := range c.r.unacked(s.conv, c.side) {
			c.r.count.resent.Add(1)
			c.writeNow(ctx, data)
		}
	}
	return nil
}

func syncFrame(id string, after int64) []byte {
	return fmt.Appendf(nil, `{"type":"sync","conversation_id":%q,"after_seq":%d}`, id, after)
}

// adopt makes a conversation assigned to this counsellor its own.
func (c *client) adopt(id string) *side {
	conv := c.r.reg.get(id)
	if !conv.clients[counselorSide].CompareAndSwap(nil, c) && conv.clients[counselorSide].Load() != c {
		c.r.count.foreign.Add(1)
		return nil
	}
	s := &side{conv: conv}
	c.sides[id] = s
	c.active++
	return s
}

func (c *client) read(ctx context.Context, ws *websocket.Conn) error {
	var buf bytes.Buffer
	var quick chatclient.Frame // messages and acks (quickFrame), one frame at a time
	for {
		_, data, err := readFrame(ctx, ws, &buf)
		if err != nil {
			return err
		}
		t := frameType(data)
		c.r.countFrame(c, t, len(data))
		if !c.wants(t) {
			continue // not decoded at all: the generator shares the cores with the server
		}
		if quickFrame(data, &quick, c.sides) {
			c.handle(ctx, &quick)
			continue
		}
		var f chatclient.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			return fmt.Errorf("invalid JSON from server: %w", err)
		}
		c.handle(ctx, &f)
	}
}

// countFrame counts a frame c received, by type, and separately when c is
// a console.
func (r *runner) countFrame(c *client, t string, n int) {
	r.traffic.add(t, n)
	if c.side == counselorSide && r.consoleTraffic != nil {
		r.consoleTraffic.add(t, n)
	}
}

// frameType reads the type of a server frame without decoding it: the
// server writes "type" first.
func frameType(data []byte) string {
	rest, ok := bytes.CutPrefix(data, []byte(`{"type":"`))
	if !ok {
		return ""
	}
	if i := bytes.IndexByte(rest, '"'); i >= 0 {
		return string(rest[:i])
	}
	return ""
}

// wants says whether a frame of type t is worth decoding. Queue and team
// frames can be large (the team lists every counsellor) and come up to ten
// times a second; a console with no free capacity, or one that is offered
// conversations, has no use for them.
func (c *client) wants(t string) bool {
	switch t {
	case "queue":
		return c.side == counselorSide && c.r.o.Routing == RoutingPick && c.active < c.capacity
	case "team", "team_changes", "queue_changes", "queue_total", "typing", "pong", "status", "notes":
		return false
	}
	return true // unknown types included (t is "" if the sniffing failed)
}

func (c *client) handle(ctx context.Context, f *chatclient.Frame) {
	switch f.Type {
	case "message":
		c.onMessage(ctx, f)
	case "ack":
		c.r.acked(c, f)
	case "synced":
		if s := c.sides[f.ConversationID]; s != nil {
			s.synced = true
			c.r.synced(s.conv, c.side)
			c.checkResumed()
		}
	case "conversation":
		if f.Conversation != nil {
			c.onConversation(ctx, *f.Conversation)
		}
	case "queue":
		if c.r.o.Routing == RoutingPick {
			c.queue = f.Waiting
			c.tryAccept(ctx)
		}
	case "offer":
		if f.Conversation != nil {
			c.acceptOffer(ctx, f.Conversation.ID)
		}
	case "position":
		if s := c.sides[f.ConversationID]; s != nil && f.Wait != nil {
			s.conv.position.Store(int64(f.Wait.Position))
			s.conv.positionNs.Store(nowNs())
		}
	case "error":
		c.onError(ctx, f)
	}
}

func (c *client) onMessage(ctx context.Context, f *chatclient.Frame) {
	s := c.sides[f.ConversationID]
	if s == nil {
		c.r.count.foreign.Add(1)
		return
	}
	if f.Seq <= s.lastSeq {
		c.r.count.seqRepeats.Add(1)
		c.r.count.note("%s got seq %d again in conversation %d (last %d)", c.side.sender(), f.Seq, s.conv.idx, s.lastSeq)
		return
	}
	if f.Seq != s.lastSeq+1 {
		c.r.count.seqGaps.Add(f.Seq - s.lastSeq - 1)
		c.r.count.note("%s: gap in conversation %d: seq %d after %d", c.side.sender(), s.conv.idx, f.Seq, s.lastSeq)
	}
	s.lastSeq = f.Seq
	switch f.Sender {
	case "system":
		switch f.Kind {
		case "joined":
			if c.side == seekerSide {
				c.r.assigned(s.conv)
			}
		case "ended":
			if !s.ended {
				s.ended = true
				if c.side == counselorSide {
					c.active--
				}
				if s.conv.ended[c.side].CompareAndSwap(false, true) {
					c.r.count.endedSides.Add(1)
				}
			}
		}
	case c.side.sender():
		// The copy of our own message; the ack is what counts.
	default:
		c.r.receivedMsg(s.conv, c.side.other(), f.Body)
	}
}

func (c *client) onConversation(ctx context.Context, v chatclient.Conversation) {
	if c.side == seekerSide {
		if s := c.sides[v.ID]; s != nil && v.Status == "active" {
			c.r.assigned(s.conv)
		}
		return
	}
	if v.Status != "active" || c.sides[v.ID] != nil {
		return
	}
	// Newly assigned to this counsellor.
	if c.pending[v.ID] {
		delete(c.pending, v.ID)
		c.r.count.accepts.Add(1)
	}
	if s := c.adopt(v.ID); s != nil {
		c.writeNow(ctx, syncFrame(v.ID, 0))
	}
	c.tryAccept(ctx)
}

func (c *client) onError(ctx context.Context, f *chatclient.Frame) {
	c.r.count.errorFrames.Add(1)
	switch {
	case c.side == counselorSide && c.pending[f.Ref]:
		if f.Code == "conflict" {
			c.r.count.acceptConflicts.Add(1)
		} else {
			c.r.count.acceptErrors.Add(1)
			c.r.count.note("accept refused: %s: %s", f.Code, f.Message)
		}
		c.tried[f.Ref] = true
		c.r.release(f.Ref)
		delete(c.pending, f.Ref)
		c.tryAccept(ctx)
	case f.Code == "rate_limited":
		c.r.count.rateLimited.Add(1)
		if idx, n, ok := parseClientID(f.Ref); ok {
			// A send refused for now, not stored: the page resends the
			// same client id after a pause, and so do we.
			c.r.sendFailed(c, idx, n, f)
		}
	case c.side == counselorSide && f.Code == "not_found" && c.sides[f.Ref] != nil && c.sides[f.Ref].ended:
		// The sync of a conversation that ended while we were away was
		// refused: it went to someone else, so its tail is not ours to read.
		c.r.count.endedAway.Add(1)
		c.sides[f.Ref].conv.endedAway[c.side].Store(true)
	default:
		if idx, n, ok := parseClientID(f.Ref); ok {
			c.r.sendFailed(c, idx, n, f)
			return
		}
		c.r.count.note("%s: error %s (ref %q): %s", c.side.sender(), f.Code, f.Ref, f.Message)
	}
}

// maxPendingAccepts is how many accepts a console has in flight at once.
const maxPendingAccepts = 4

// tryAccept (pick mode) accepts more waiting conversations while this
// counsellor has room.
func (c *client) tryAccept(ctx context.Context) {
	for c.side == counselorSide && c.r.o.Routing == RoutingPick && len(c.pending) < maxPendingAccepts && c.active+len(c.pending) < c.capacity {
		id := chooseAccept(c.queue, c.r.notBefore, c.tried, c.r.claim)
		if id == "" {
			return
		}
		c.sendAccept(ctx, id)
	}
}

// acceptOffer (offer mode) takes a conversation the router offered, at once.
func (c *client) acceptOffer(ctx context.Context, id string) {
	if c.sides[id] != nil || c.pending[id] {
		return
	}
	c.r.reg.get(id).offeredNs.Store(nowNs())
	c.r.claim(id)
	c.sendAccept(ctx, id)
}

func (c *client) sendAccept(ctx context.Context, id string) {
	c.pending[id] = true
	c.r.reg.get(id).acceptNs.Store(nowNs())
	c.writeNow(ctx, fmt.Appendf(nil, `{"type":"accept","conversation_id":%q}`, id))
}

// chooseAccept picks the waiting conversation a counsellor accepts next: the
// longest-waiting one of this run that it has not been refused and that no
// other simulated counsellor is already accepting (so that a thousand
// consoles do not all click the same entry). It only looks at the entries it
// was shown: a queue frame holds the oldest 50 of waiting_total. Only pick
// routing uses it; under offer routing an offer frame is accepted at once
// (acceptOffer).
func chooseAccept(waiting []chatclient.QueueEntry, notBefore time.Time, tried map[string]bool, claim func(id string) bool) string {
	for _, e := range waiting {
		if e.WaitingSince.Before(notBefore) || tried[e.ConversationID] {
			continue // someone else's conversation, or one we were refused
		}
		if claim(e.ConversationID) {
			return e.ConversationID
		}
	}
	return ""
}

// checkResumed records when, after the storm, every conversation of this
// client has been synced again.
func (c *client) checkResumed() {
	if !c.afterStorm || c.resumedNs.Load() != 0 {
		return
	}
	now := nowNs()
	all := true
	for _, s := range c.sides {
		if s.synced || s.ended {
			s.conv.resumedNs[c.side].CompareAndSwap(0, now)
		} else {
			all = false
		}
	}
	if all {
		c.resumedNs.Store(now)
	}
}
