package chat

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// Buffers of one WebSocket, held for as long as it is open. net/http's are
// 4 KiB each; chat frames are far smaller (a message frame with a 200-byte
// body is ~400 bytes, a client's `send` ~300), and a bigger frame is still
// read or written whole, in one more system call. Together they were the
// largest part of an idle connection's memory.
const (
	socketReadBuffer  = 1 << 10
	socketWriteBuffer = 2 << 10
)

// socketBuffers hands coder/websocket the hijacked connection with buffers
// of the sizes above instead of net/http's, which are dropped with the
// handler. It keeps the connection, whose write deadline times the
// writer's frames (see Conn.writeData), as the heldConn coder/websocket
// writes to.
type socketBuffers struct {
	http.ResponseWriter
	conn net.Conn
}

func (w *socketBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *socketBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil { // nothing should be left: the 101 is flushed on hijack
		conn.Close()
		return nil, nil, err
	}
	held := &heldConn{Conn: conn} // every write of coder/websocket's goes through it (heldwrites.go)
	w.conn = held
	return held, bufio.NewReadWriter(carryOver(brw.Reader, conn), bufio.NewWriterSize(held, socketWriteBuffer)), nil
}

// carryOver returns a small reader of conn that starts with what the client
// sent after its upgrade request and net/http has already read. Those bytes
// stay buffered in it, where coder/websocket looks for them.
func carryOver(old *bufio.Reader, conn net.Conn) *bufio.Reader {
	n := old.Buffered()
	if n == 0 {
		return bufio.NewReaderSize(conn, socketReadBuffer)
	}
	early, _ := old.Peek(n)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn), max(socketReadBuffer, n))
	r.Peek(n) // cannot fail: the bytes are in memory and fit
	return r
}
