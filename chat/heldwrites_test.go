package chat

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"helpline/chat/wire"
)

// countingConn counts the writes that reach the socket.
type countingConn struct {
	net.Conn
	mu      sync.Mutex
	writes  int
	largest int // bytes in the largest write
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.largest = max(c.largest, len(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countingConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// heldSocket is a server-side WebSocket opened as ServeHTTP opens one (with
// socketBuffers), its writes to the socket counted, and the client's end.
func heldSocket(t *testing.T) (*Conn, *countingConn, *websocket.Conn) {
	t.Helper()
	type opened struct {
		ws *websocket.Conn
		nc net.Conn
	}
	got := make(chan opened, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sb := &socketBuffers{ResponseWriter: w}
		ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			t.Error(err)
			return
		}
		got <- opened{ws, sb.conn}
	}))
	t.Cleanup(srv.Close)
	client, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.CloseNow() })
	o := <-got
	h, ok := o.nc.(*heldConn)
	if !ok {
		t.Fatalf("the socket coder/websocket writes to is a %T, want a *heldConn", o.nc)
	}
	counted := &countingConn{Conn: h.Conn}
	h.Conn = counted
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := &Conn{ws: o.ws, nc: o.nc, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), out: frameQueue{limit: 64}}
	return c, counted, client
}

// The frames one turn of the writer writes reach the socket in one write,
// in order and byte for byte as written one at a time; a lone frame still
// goes out as the turn ends.
func TestATurnsFramesGoOutInOneWrite(t *testing.T) {
	c, counted, client := heldSocket(t)
	frames := []serverFrame{
		{Type: wire.FramePong},
		errorFrame(Errorf(CodeInvalid, "one"), ""),
		errorFrame(Errorf(CodeRateLimited, "two"), "ref"),
	}
	var want [][]byte
	for _, f := range frames {
		data, err := encodeFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, bytes.Clone(data))
		c.out.push(&f)
	}
	before := counted.count()
	if err := c.drain(); err != nil {
		t.Fatal(err)
	}
	if n := counted.count() - before; n != 1 {
		t.Errorf("%d writes to the socket for a turn of %d frames, want 1", n, len(frames))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, w := range want {
		typ, data, err := client.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if typ != websocket.MessageText || !bytes.Equal(data, w) {
			t.Errorf("frame %d: %q, want %q", i, data, w)
		}
	}
	c.out.push(&serverFrame{Type: wire.FramePong})
	before = counted.count()
	if err := c.drain(); err != nil {
		t.Fatal(err)
	}
	if n := counted.count() - before; n != 1 {
		t.Errorf("%d writes to the socket for a turn of one frame, want 1", n)
	}
	if _, data, err := client.Read(ctx); err != nil || string(data) != string(want[0]) {
		t.Errorf("the lone frame: %q, %v", data, err)
	}
}

// Outside a turn nothing is held: coder/websocket's own frames (a ping
// here, after a turn) go straight to the socket.
func TestNothingIsHeldOutsideATurn(t *testing.T) {
	c, counted, client := heldSocket(t)
	c.out.push(&serverFrame{Type: wire.FramePong})
	if err := c.drain(); err != nil {
		t.Fatal(err)
	}
	before := counted.count()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { // the client answers a ping only while it reads
		for {
			if _, _, err := client.Read(ctx); err != nil {
				return
			}
		}
	}()
	go c.ws.Reader(ctx) // the server must read to see the pong
	if err := c.ws.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n := counted.count() - before; n != 1 {
		t.Errorf("%d writes to the socket for a ping, want 1", n)
	}
}

// A turn holds at most heldMax bytes: past that what is held goes out
// first, so that a burst (a console's staff frames) holds no big buffer;
// every frame still arrives, in order.
func TestATurnHoldsAtMostHeldMax(t *testing.T) {
	c, counted, client := heldSocket(t)
	var want [][]byte
	for i := range 12 {
		f := errorFrame(Errorf(CodeInvalid, "%d %s", i, strings.Repeat("x", 900)), "")
		data, err := encodeFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, bytes.Clone(data))
		c.out.push(&f)
	}
	before := counted.count()
	if err := c.drain(); err != nil {
		t.Fatal(err)
	}
	if n := counted.count() - before; n < 3 || n > 6 {
		t.Errorf("%d writes for 12 frames of ~1 KiB, want 3 to 6", n)
	}
	counted.mu.Lock()
	largest := counted.largest
	counted.mu.Unlock()
	if largest > heldMax {
		t.Errorf("a write of %d bytes, want at most %d", largest, heldMax)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, w := range want {
		if _, data, err := client.Read(ctx); err != nil || !bytes.Equal(data, w) {
			t.Fatalf("frame %d: %q, %v", i, data, err)
		}
	}
}
