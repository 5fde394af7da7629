package chat

import (
	"net"
	"sync"
	"time"
)

// A sender's own copy of a message and its ack are two frames written one
// after the other by the same writer, most often in the same turn (drain),
// and every frame was a system call of its own: coder/websocket flushes its
// buffer at the end of every frame. At 1,000 pairs on PostgreSQL writing
// frames was a fifth of the server's CPU, nearly all of it those calls. So
// while a writer's turn lasts, what coder/websocket flushes is held, and
// sent in one write when the turn ends, before the writer waits for
// anything else (a read of the store), or before heldMax bytes are held. The
// bytes on the wire and their order are the same; only how many writes
// carry them changes, and no frame waits for anything but the frames
// written with it.

// heldMax is the most a turn holds: a write that would take it past this
// first sends what is held (and a write that big by itself goes straight
// to the socket), so a held buffer never grows past what the pool made it.
const heldMax = 4 << 10

// heldConn is the hijacked connection as coder/websocket writes to it.
// Every write of coder/websocket's comes through Write, under its own
// frame lock, control frames (pong, close) from other goroutines too;
// those are held while a turn lasts as well, and go out in order with it.
type heldConn struct {
	net.Conn
	mu      sync.Mutex
	holding bool
	held    *[]byte // from heldPool while holding something
}

// heldPool holds the buffers of turns being held: one per connection would
// be memory kept while it is idle.
var heldPool = sync.Pool{New: func() any { b := make([]byte, 0, heldMax); return &b }}

func (h *heldConn) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.holding {
		return h.Conn.Write(p)
	}
	if h.held != nil && len(*h.held)+len(p) > heldMax {
		if err := h.sendLocked(writeTimeout); err != nil {
			return 0, err
		}
	}
	if len(p) > heldMax {
		if err := h.Conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
			return 0, err
		}
		return h.Conn.Write(p)
	}
	if h.held == nil {
		h.held = heldPool.Get().(*[]byte)
	}
	*h.held = append(*h.held, p...)
	return len(p), nil
}

// hold starts holding what is written.
func (h *heldConn) hold() {
	h.mu.Lock()
	h.holding = true
	h.mu.Unlock()
}

// isHolding reports whether writes are held now.
func (h *heldConn) isHolding() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.holding
}

// send writes what is held in one write, within timeout, and stops holding.
func (h *heldConn) send(timeout time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holding = false
	return h.sendLocked(timeout)
}

// sendLocked writes what is held, if anything, and hands its buffer back.
func (h *heldConn) sendLocked(timeout time.Duration) error {
	if h.held == nil {
		return nil
	}
	b := h.held
	h.held = nil
	defer func() {
		*b = (*b)[:0]
		heldPool.Put(b)
	}()
	if err := h.Conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	_, err := h.Conn.Write(*b)
	return err
}

// holdWrites starts holding the writer's frames, if its socket can.
func (c *Conn) holdWrites() {
	if h, ok := c.nc.(*heldConn); ok {
		h.hold()
	}
}

// sendHeld writes out what the writer holds and stops holding.
func (c *Conn) sendHeld() error {
	h, ok := c.nc.(*heldConn)
	if !ok {
		return nil
	}
	if err := h.send(writeTimeout); err != nil {
		if c.ctx.Err() != nil {
			return c.ctx.Err()
		}
		return err
	}
	return nil
}

// beforeWaiting writes out what the writer holds before it waits for
// something other than the socket (a read of the store), and goes on
// holding.
func (c *Conn) beforeWaiting() error {
	h, ok := c.nc.(*heldConn)
	if !ok || !h.isHolding() {
		return nil
	}
	if err := c.sendHeld(); err != nil {
		return err
	}
	h.hold()
	return nil
}
