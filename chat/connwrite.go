package chat

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"

	"helpline/chat/wire"
)

// The writer's frames get their time limit (writeTimeout) as a deadline on
// the socket itself rather than as a context per frame: a context with a
// timeout, and the watcher coder/websocket hangs on any context that can
// end, were six allocations and a timer for every frame written, and a
// child map kept on the connection's own context. The socket's deadline is
// reset before each frame and cleared when the writer stops, so that
// coder/websocket's own writes in between (a pong, a close frame) are not
// held to a stale one.

// writeData writes one encoded frame.
func (c *Conn) writeData(data []byte) error {
	if c.nc == nil { // no socket of its own to set a deadline on (not hijacked by ServeHTTP)
		wctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
		defer cancel()
		return c.ws.Write(wctx, websocket.MessageText, data)
	}
	if err := c.ctx.Err(); err != nil {
		return err
	}
	h, held := c.nc.(*heldConn)
	held = held && h.isHolding() // then heldConn sets the deadline of what it writes
	if !held {
		if err := c.nc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
			return err
		}
	}
	if err := c.ws.Write(context.Background(), websocket.MessageText, data); err != nil {
		if c.ctx.Err() != nil {
			return c.ctx.Err() // closed on purpose meanwhile, as a cancelled write said before
		}
		return err
	}
	return nil
}

// clearWriteDeadline lifts the last frame's deadline once the writer stops.
func (c *Conn) clearWriteDeadline() {
	if c.nc != nil {
		c.nc.SetWriteDeadline(time.Time{})
	}
}

// writeFrame writes one frame of the writer's.
func (c *Conn) writeFrame(f serverFrame) error {
	data, err := encodeFrame(f)
	if err != nil {
		return err
	}
	return c.writeData(data)
}

// writeMessage writes the message frame of m for this connection, encoded
// into a pooled buffer.
func (c *Conn) writeMessage(m Message) error {
	forAuthor := c.isAuthor(m)
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	data, ok := appendMessageFrame((*bp)[:0], m, forAuthor)
	if !ok {
		var err error
		if data, err = marshalMessageFrame(m, forAuthor); err != nil {
			return err
		}
	} else if cap(data) <= 64<<10 {
		*bp = data // keep a grown buffer, but not a huge one
	}
	return c.writeData(data)
}

// ackPool holds the frames acks are queued in, each with its bytes. An ack
// is queued for every message stored, and a frame of its own (416 bytes,
// the size of every field any frame may carry) and its bytes were two
// allocations per message; the writer hands both back once written.
var ackPool = sync.Pool{New: func() any { return &serverFrame{pooled: true} }}

// pooledAck is the ack frame for a stored message, encoded, from ackPool;
// false for a time json.Marshal must write (see appendMessageFrame).
func pooledAck(conversationID, clientID string, seq int64, sentAt time.Time) (*serverFrame, bool) {
	if !plainTime(sentAt) {
		return nil, false
	}
	f := ackPool.Get().(*serverFrame)
	f.Type = wire.FrameAck
	f.encoded = appendAckFrame(f.encoded[:0], conversationID, clientID, seq, sentAt)
	return f, true
}

// release hands a written frame back to its pool, if it has one. Nothing
// may hold it after: the writer calls it once the frame is on the socket.
func release(f *serverFrame) {
	if !f.pooled || cap(f.encoded) > 1<<10 {
		return
	}
	*f = serverFrame{encoded: f.encoded[:0], pooled: true}
	ackPool.Put(f)
}

// enqueuePooled queues a frame from a pool, as enqueue does a frame of its
// own (held until ready if need be).
func (c *Conn) enqueuePooled(f *serverFrame) {
	if !c.ready.Load() && c.holdUntilReady(f) {
		return
	}
	c.push(f)
}
