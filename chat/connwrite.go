package chat

import (
	"context"
	"time"

	"github.com/coder/websocket"
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
	if err := c.nc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
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
