package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"helpline/chat/chatclient"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
)

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
	queue   []chatclient.QueueEntry
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

// authFrame is the client's auth frame. A console asks for the broadcasts
// the web console asks for (queue changes and the team), so that the staff
// traffic measured is a real console's; one that picks from the queue
// needs whole queue frames instead (PROTOCOL.md 3.1, "Streams").
func (c *client) authFrame() []byte {
	if c.side != counselorSide {
		return []byte(`{"type":"auth","token":"` + c.token + `"}`)
	}
	queue := "queue_changes"
	if c.r.o.Routing == RoutingPick {
		queue = "queue"
	}
	return []byte(`{"type":"auth","token":"` + c.token + `","streams":["` + queue + `","team"]}`)
}

// connect dials, authenticates and returns the ready frame.
func (c *client) connect(ctx context.Context) (*websocket.Conn, chatclient.Frame, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, c.r.nw.wsURL, &websocket.DialOptions{
		HTTPClient: c.r.nw.ws,
		HTTPHeader: http.Header{"Origin": []string{c.r.nw.base}},
	})
	if err != nil {
		return nil, chatclient.Frame{}, err
	}
	ws.SetReadLimit(readLimit)
	if err := ws.Write(dctx, websocket.MessageText, c.authFrame()); err != nil {
		ws.CloseNow()
		return nil, chatclient.Frame{}, err
	}
	for {
		_, data, err := ws.Read(dctx)
		if err != nil {
			ws.CloseNow()
			return nil, chatclient.Frame{}, err
		}
		var f chatclient.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			ws.CloseNow()
			return nil, chatclient.Frame{}, fmt.Errorf("invalid JSON from server: %w", err)
		}
		c.r.countFrame(c, f.Type, len(data))
		if f.Type == "ready" {
			return ws, f, nil
		}
		if f.Type != "error" {
			// PROTOCOL.md §3.1: ready is always the first frame. A console
			// that is offered a conversation before it knows what it holds
			// (the bug this catches) cannot tell the offer from a stale one.
			c.r.count.beforeReady.Add(1)
			c.r.count.note("%s got a %q frame before ready", c.side.sender(), f.Type)
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
