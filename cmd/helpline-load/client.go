package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
)

// frame is the part of a server frame (PROTOCOL.md §3.4) the generator reads.
type frame struct {
	Type           string       `json:"type"`
	Conversations  []convView   `json:"conversations"`
	Conversation   *convView    `json:"conversation"`
	ConversationID string       `json:"conversation_id"`
	Seq            int64        `json:"seq"`
	LastSeq        int64        `json:"last_seq"`
	Sender         string       `json:"sender"`
	Kind           string       `json:"kind"`
	Body           string       `json:"body"`
	ClientID       string       `json:"client_id"`
	Waiting        []queueEntry `json:"waiting"`
	Wait           *struct {
		Position int64 `json:"position"`
	} `json:"wait"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref"`
}

type convView struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	LastSeq int64  `json:"last_seq"`
}

type queueEntry struct {
	ConversationID string    `json:"conversation_id"`
	WaitingSince   time.Time `json:"waiting_since"`
}

// Client-side pacing, below the server's 20 frames/s (burst 40) per
// connection so that a busy counsellor is never refused.
const (
	clientFramesPerSecond = 15
	clientBurst           = 30
	pingAfter             = 20 * time.Second // browsers ping every 20 s; the server drops a silent socket after 75 s
	readLimit             = 32 << 20         // generous: the team frame lists every counsellor on shift (a queue frame holds at most 50 entries)
)

// client is one simulated browser tab: a seeker, or a counsellor's console.
// Its reader goroutine (loop) owns the connection's life and every field
// below "reader goroutine only"; senders share the connection through mu.
type client struct {
	r        *runner
	side     sideID
	token    string
	capacity int // counsellors

	mu      sync.Mutex
	ws      *websocket.Conn
	lim     *rate.Limiter
	open    bool          // ws is resynchronised: senders may use it
	up      chan struct{} // closed while open
	stopped bool
	lastOut atomic.Int64

	stormDropped atomic.Bool  // dropped by the storm and not yet resumed
	resumedNs    atomic.Int64 // every conversation synced again after the storm
	ready        atomic.Bool  // first connection succeeded

	// Reader goroutine only.
	sides   map[string]*side
	queue   []queueEntry
	pending map[string]bool // accepts in flight
	tried   map[string]bool
	active  int // assigned, not ended (counsellors)
	// afterStorm: the current connection was made after the storm's drop.
	afterStorm bool
}

// side is a client's state in one conversation.
type side struct {
	conv    *conversation
	lastSeq int64
	synced  bool // on the current connection
	ended   bool
}

func newClient(r *runner, s sideID, token string, capacity int) *client {
	return &client{r: r, side: s, token: token, capacity: capacity, up: make(chan struct{}),
		sides: map[string]*side{}, tried: map[string]bool{}, pending: map[string]bool{}}
}

// loop connects, reads until the connection ends, and reconnects (at once
// after the storm, else with the protocol's backoff) until stopped.
func (c *client) loop(ctx context.Context) {
	defer c.r.readers.Done()
	attempt := 0
	for {
		if c.isStopped() || ctx.Err() != nil {
			return
		}
		ws, ready, err := c.connect(ctx)
		if err != nil {
			if c.isStopped() || ctx.Err() != nil {
				return
			}
			c.r.count.connectFailures.Add(1)
			if code := websocket.CloseStatus(err); code >= 4400 && code < 4500 {
				c.r.count.note("%s: server refused the credential (%d): giving up", c.side.sender(), code)
				return
			}
			if attempt < 2 {
				c.r.count.note("%s: connecting failed: %v", c.side.sender(), err)
			}
			sleep(ctx, backoff(attempt))
			attempt++
			continue
		}
		attempt = 0
		c.r.count.connects.Add(1)
		c.r.count.opened()
		c.ready.Store(true)
		c.afterStorm = c.stormDropped.Load()
		c.setConn(ws)
		err = c.onReady(ctx, ws, ready)
		c.publish(ws)
		if err == nil {
			err = c.read(ctx, ws)
		}
		c.clearConn(ws)
		c.r.count.open.Add(-1)
		if c.isStopped() || ctx.Err() != nil {
			return
		}
		if c.stormDropped.Load() && !c.afterStorm {
			continue // the storm: everyone reconnects at once
		}
		c.r.count.unexpectedDrops.Add(1)
		c.r.count.note("%s: connection lost: %v", c.side.sender(), err)
		wait := backoff(0)
		if websocket.CloseStatus(err) == 4029 {
			wait = 5 * time.Second
		}
		sleep(ctx, wait)
	}
}

// backoff is PROTOCOL.md §3.7: 1 s, 2 s, 4 s … at most 30 s, plus jitter.
func backoff(attempt int) time.Duration {
	d := min(time.Second<<min(attempt, 5), 30*time.Second)
	return d + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// connect dials, authenticates and returns the ready frame.
func (c *client) connect(ctx context.Context) (*websocket.Conn, frame, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, c.r.nw.wsURL, &websocket.DialOptions{
		HTTPClient: c.r.nw.ws,
		HTTPHeader: http.Header{"Origin": []string{c.r.nw.base}},
	})
	if err != nil {
		return nil, frame{}, err
	}
	ws.SetReadLimit(readLimit)
	if err := ws.Write(dctx, websocket.MessageText, []byte(`{"type":"auth","token":"`+c.token+`"}`)); err != nil {
		ws.CloseNow()
		return nil, frame{}, err
	}
	for {
		_, data, err := ws.Read(dctx)
		if err != nil {
			ws.CloseNow()
			return nil, frame{}, err
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			ws.CloseNow()
			return nil, frame{}, fmt.Errorf("invalid JSON from server: %w", err)
		}
		if f.Type == "ready" {
			return ws, f, nil
		}
		// An error frame before ready: the close that follows says why.
	}
}

// setConn makes ws the client's connection, for the reader only until
// publish: a browser resynchronises before it sends anything new, and the
// resync must not queue behind a burst of new messages.
func (c *client) setConn(ws *websocket.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws = ws
	c.lim = rate.NewLimiter(clientFramesPerSecond, clientBurst)
	if c.stopped {
		ws.CloseNow()
	}
}

// publish lets senders use ws.
func (c *client) publish(ws *websocket.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ws == ws && !c.open {
		c.open = true
		close(c.up)
	}
}

func (c *client) clearConn(ws *websocket.Conn) {
	ws.CloseNow()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ws == ws {
		c.ws = nil
		if c.open {
			c.open = false
			c.up = make(chan struct{})
		}
	}
}

func (c *client) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// stop ends the client for good.
func (c *client) stop() {
	c.mu.Lock()
	c.stopped = true
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		ws.CloseNow()
	}
}

// drop cuts the connection abruptly, as a network failure would: the
// reconnect storm.
func (c *client) drop() {
	c.stormDropped.Store(true)
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		ws.CloseNow()
	}
}

// conn waits until the client is connected (or ctx ends).
func (c *client) conn(ctx context.Context) (*websocket.Conn, *rate.Limiter) {
	for {
		c.mu.Lock()
		ws, lim, up, stopped, open := c.ws, c.lim, c.up, c.stopped, c.open
		c.mu.Unlock()
		if stopped {
			return nil, nil
		}
		if open {
			return ws, lim
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// write sends one frame on ws, paced by lim.
func (c *client) write(ctx context.Context, ws *websocket.Conn, lim *rate.Limiter, data []byte) error {
	if err := lim.Wait(ctx); err != nil {
		return err
	}
	c.lastOut.Store(nowNs())
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return ws.Write(wctx, websocket.MessageText, data)
}

// writeOnce sends a frame unpaced (the caller has paced it).
func (c *client) writeOnce(ctx context.Context, ws *websocket.Conn, data []byte) error {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return ws.Write(wctx, websocket.MessageText, data)
}

// writeNow sends a frame on the current connection from the reader goroutine.
func (c *client) writeNow(ctx context.Context, data []byte) {
	c.mu.Lock()
	ws, lim := c.ws, c.lim
	c.mu.Unlock()
	if ws != nil {
		c.write(ctx, ws, lim, data) // a failure ends the read loop, which reconnects
	}
}

// deliver writes data once a connection is up, again on the next connection
// if this one fails, until written or ctx ends. The server stores a send
// with the same client id only once, so writing twice is harmless.
func (c *client) deliver(ctx context.Context, data []byte) bool {
	for {
		ws, lim := c.conn(ctx)
		if ws == nil {
			return false
		}
		if c.write(ctx, ws, lim, data) == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		// The connection failed under us; wait for the next one.
		c.mu.Lock()
		same := c.ws == ws
		up := c.up
		c.mu.Unlock()
		if same {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(50 * time.Millisecond):
			case <-up:
			}
		}
	}
}

// onReady subscribes to the conversations ready lists, resynchronises each
// after the last seq seen and sends again whatever was not acknowledged.
func (c *client) onReady(ctx context.Context, ws *websocket.Conn, ready frame) error {
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
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return err
		}
		t := frameType(data)
		c.r.traffic.add(t, len(data))
		if !c.wants(t) {
			continue // not decoded at all: the generator shares the cores with the server
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			return fmt.Errorf("invalid JSON from server: %w", err)
		}
		c.handle(ctx, &f)
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
	case "team", "team_changes", "typing", "pong", "status", "notes":
		return false
	}
	return true // unknown types included (t is "" if the sniffing failed)
}

func (c *client) handle(ctx context.Context, f *frame) {
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
			s.conv.position.Store(f.Wait.Position)
			s.conv.positionNs.Store(nowNs())
		}
	case "error":
		c.onError(ctx, f)
	}
}

func (c *client) onMessage(ctx context.Context, f *frame) {
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

func (c *client) onConversation(ctx context.Context, v convView) {
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

func (c *client) onError(ctx context.Context, f *frame) {
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
func chooseAccept(waiting []queueEntry, notBefore time.Time, tried map[string]bool, claim func(id string) bool) string {
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
