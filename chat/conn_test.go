package chat

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// connTestRouter routes nothing: these tests drive connections directly.
type connTestRouter struct{}

func (connTestRouter) Admit(context.Context) error { return nil }
func (connTestRouter) Accepting(context.Context, StaffInfo, Conversation) (int, error) {
	return 1, nil
}
func (connTestRouter) Accepted(context.Context, int64, Conversation) {}
func (connTestRouter) Connected(context.Context, StaffInfo)          {}
func (connTestRouter) Disconnected(context.Context, int64)           {}
func (connTestRouter) Heartbeat(context.Context, []int64)            {}
func (connTestRouter) SetStatus(context.Context, int64, string, int) (TeamMember, error) {
	return TeamMember{}, nil
}
func (connTestRouter) Decline(context.Context, int64, string) error          { return nil }
func (connTestRouter) Trained(TeamMember, Conversation) bool                 { return true }
func (connTestRouter) Team(context.Context) ([]TeamMember, error)            { return nil, nil }
func (connTestRouter) Waits(context.Context, []Conversation) map[string]Wait { return nil }
func (connTestRouter) Changed()                                              {}
func (connTestRouter) Run(ctx context.Context) error                         { <-ctx.Done(); return nil }

// connTestStaff accepts every staff sign-in except the revoked ones, and
// counts the checks.
type connTestStaff struct {
	mu      sync.Mutex
	revoked map[string]bool // session ids
	checks  int
}

func (d *connTestStaff) RecordRead(context.Context, int64, string) error { return nil }
func (d *connTestStaff) RecordRefused(context.Context, int64, string)    {}

func (d *connTestStaff) CheckSession(_ context.Context, p Principal) (StaffInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checks++
	if d.revoked[p.SessionID] {
		return StaffInfo{}, Errorf(CodeUnauthorized, "sign-in ended")
	}
	return StaffInfo{ID: p.StaffID, Username: "c", DisplayName: "C", Role: p.Role, Capacity: 5, MaxCapacity: 5}, nil
}

func (d *connTestStaff) revoke(sessionID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.revoked[sessionID] = true
}

func (d *connTestStaff) checked() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.checks
}

type connTestEnv struct {
	svc    *Service
	srv    *httptest.Server
	tokens *Tokens
	staff  *connTestStaff
}

// startConnTest runs a Service on the memory store behind a real HTTP
// server; configure, if given, changes its Config first.
func startConnTest(t *testing.T, configure ...func(*Config)) *connTestEnv {
	t.Helper()
	tokens, err := NewTokens(NewKey("ct"), nil)
	if err != nil {
		t.Fatal(err)
	}
	staff := &connTestStaff{revoked: map[string]bool{}}
	cfg := Config{Store: NewMemoryStore(nil), Broker: NewMemoryBroker(), Router: connTestRouter{}, Tokens: tokens,
		Staff: staff, Languages: map[string]bool{"es": true}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range configure {
		f(&cfg)
	}
	svc := NewService(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	go svc.Run(ctx)
	srv := httptest.NewServer(svc)
	t.Cleanup(func() {
		svc.Shutdown()
		srv.Close()
		cancel()
	})
	return &connTestEnv{svc: svc, srv: srv, tokens: tokens, staff: staff}
}

// dial opens a WebSocket and authenticates it with token.
func (e *connTestEnv) dial(t *testing.T, token string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() }) // before the server's cleanup: it runs first
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"auth","token":"`+token+`"}`)); err != nil {
		t.Fatal(err)
	}
	return ws
}

func (e *connTestEnv) seeker(t *testing.T) (*websocket.Conn, string) {
	t.Helper()
	conv, token, _, err := e.svc.StartConversation(context.Background(), NewConversation{Audience: AudienceSelf, Language: "es", Region: "Madrid"})
	if err != nil {
		t.Fatal(err)
	}
	ws := e.dial(t, token)
	expectFrames(t, ws, "ready")
	return ws, conv.ID
}

func (e *connTestEnv) counselor(t *testing.T, staffID int64, sessionID string) *websocket.Conn {
	t.Helper()
	token, _ := e.tokens.IssueStaff(staffID, RoleCounselor, sessionID, time.Hour)
	ws := e.dial(t, token)
	expectFrames(t, ws, "ready", "queue", "team")
	return ws
}

type testFrame struct {
	Type     string `json:"type"`
	ClientID string `json:"client_id"`
	Seq      int64  `json:"seq"`
}

func readFrame(t *testing.T, ws *websocket.Conn) testFrame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	var f testFrame
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("frame %q: %v", data, err)
	}
	return f
}

func expectFrames(t *testing.T, ws *websocket.Conn, types ...string) {
	t.Helper()
	for _, want := range types {
		if f := readFrame(t, ws); f.Type != want {
			t.Fatalf("got a %q frame, want %q", f.Type, want)
		}
	}
}

// connOf finds the server side of a seeker's connection.
func (e *connTestEnv) connOf(t *testing.T, conversationID string) *Conn {
	t.Helper()
	for _, c := range e.svc.connections(func(c *Conn) bool { return c.principal.ConversationID == conversationID }) {
		return c
	}
	t.Fatalf("no connection for conversation %s", conversationID)
	return nil
}

// goroutinesIn counts the goroutines whose stack passes through fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), fn+"(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitWriterIdle waits until no connection writer runs at all.
func waitWriterIdle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for goroutinesIn("chat.(*Conn).writeLoop") > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a writer is still running on idle connections")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIdleConnectionIsOnlyItsReader(t *testing.T) {
	e := startConnTest(t)
	e.seeker(t)
	e.seeker(t)
	e.counselor(t, 7, "s7")
	waitWriterIdle(t)
	if n := goroutinesIn("chat.(*Conn).readLoop"); n != 3 {
		t.Fatalf("%d readers for 3 connections", n)
	}
	// A frame queued now starts a writer again, and it goes idle after.
	ws, id := e.seeker(t)
	waitWriterIdle(t)
	e.connOf(t, id).answer(serverFrame{Type: "pong"})
	expectFrames(t, ws, "pong")
	waitWriterIdle(t)
}

// Frames queued by several goroutines at once, while the writer starts
// and stops between bursts, all arrive, each goroutine's in its order.
func TestBurstsArriveCompleteAndInOrder(t *testing.T) {
	e := startConnTest(t)
	ws, id := e.seeker(t)
	c := e.connOf(t, id)
	const senders, perSender = 4, outQueueFrames / 4 // a burst fits the queue: no 4001
	for round := range 40 {
		waitWriterIdle(t)
		if n := c.pending.Load(); n != 0 {
			t.Fatalf("round %d: writer idle with %d kicks unserved", round, n)
		}
		var wg sync.WaitGroup
		for g := range senders {
			wg.Go(func() {
				for i := 1; i <= perSender; i++ {
					c.enqueue(serverFrame{Type: "ack", ClientID: fmt.Sprintf("g%d", g), Seq: int64(i)})
					runtime.Gosched() // let the writer run dry and stop mid-burst
					if i == perSender/2 {
						c.wakeUp() // delivery shares the writer: nothing to deliver, nothing lost
					}
				}
			})
		}
		next := map[string]int64{}
		for range senders * perSender {
			f := readFrame(t, ws)
			if f.Type != "ack" || f.Seq != next[f.ClientID]+1 {
				t.Fatalf("round %d: got %+v after %s's seq %d", round, f, f.ClientID, next[f.ClientID])
			}
			next[f.ClientID] = f.Seq
		}
		wg.Wait()
		if len(next) != senders {
			t.Fatalf("round %d: frames from %d senders, want %d", round, len(next), senders)
		}
	}
}

// A frame queued after the writer found nothing left to send, but before it
// stopped, is still sent: by that writer or by a new one.
func TestFrameQueuedAsTheWriterStopsIsSent(t *testing.T) {
	e := startConnTest(t)
	ws, id := e.seeker(t)
	c := e.connOf(t, id)
	var armed atomic.Bool
	hook := func(w *Conn) {
		if w == c && armed.CompareAndSwap(true, false) {
			c.enqueue(serverFrame{Type: "ack", ClientID: "late"})
		}
	}
	testHookWriterDrained.Store(&hook)
	defer testHookWriterDrained.Store(nil)
	for round := range 20 {
		waitWriterIdle(t)
		armed.Store(true)
		c.enqueue(serverFrame{Type: "ack", ClientID: "first"})
		for _, want := range []string{"first", "late"} {
			if f := readFrame(t, ws); f.ClientID != want {
				t.Fatalf("round %d: got %+v, want the %q frame", round, f, want)
			}
		}
	}
}

// A sender gets the live copy of its own message before the ack: the
// message is published, waking the writer, before the ack is queued, and
// the writer serves a wake-up queued before a frame before writing that
// frame (TestOwnMessageBeforeAckWhenStoredAsTheWriterRuns forces the
// interleaving this test met only under load).
func TestOwnMessageArrivesBeforeItsAck(t *testing.T) {
	e := startConnTest(t)
	ws, id := e.seeker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	write := func(frame string) {
		t.Helper()
		if err := ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"type":"sync","conversation_id":"` + id + `","after_seq":0}`)
	expectFrames(t, ws, "synced")
	for i := range sendBurst - 5 { // within the send rate limit
		clientID := fmt.Sprintf("m%d", i)
		write(`{"type":"send","conversation_id":"` + id + `","client_id":"` + clientID + `","body":"hola"}`)
		for _, want := range []string{"message", "ack"} {
			if f := readFrame(t, ws); f.Type != want || f.ClientID != clientID {
				t.Fatalf("send %d: got %+v, want its %s", i, f, want)
			}
		}
	}
}

// One service-wide pass rechecks staff sign-ins: a revoked one's sockets
// close with 4403, once per sign-in however many sockets it has, and the
// others stay open.
func TestSessionRecheckClosesRevokedStaff(t *testing.T) {
	e := startConnTest(t)
	revoked1, revoked2 := e.counselor(t, 7, "gone"), e.counselor(t, 7, "gone")
	kept := e.counselor(t, 8, "kept")
	e.staff.revoke("gone")
	before := e.staff.checked()
	e.svc.recheckSessions(context.Background())
	if n := e.staff.checked() - before; n != 2 {
		t.Errorf("%d session checks for 2 sign-ins", n)
	}
	for _, ws := range []*websocket.Conn{revoked1, revoked2} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _, err := ws.Read(ctx)
		cancel()
		if code := websocket.CloseStatus(err); code != StatusRevoked {
			t.Errorf("revoked sign-in's socket: %v, want close %d", err, StatusRevoked)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := kept.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	expectFrames(t, kept, "pong") // still open
}

// A connection whose reader has waited idleTimeout for a frame is closed
// by the service-wide sweep; one that spoke recently is not.
func TestSilentConnectionIsClosed(t *testing.T) {
	e := startConnTest(t)
	silent, silentID := e.seeker(t)
	talking, _ := e.seeker(t)
	e.connOf(t, silentID).waitingSince.Store(monotonicNow() - int64(idleTimeout) - 1)
	e.svc.closeIdle()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := silent.Read(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("silent connection: read %v, want it closed", err)
	}
	if err := talking.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	expectFrames(t, talking, "pong")
}

// A client may send its auth frame right behind its upgrade request, in
// the same packet: the server has then read it along with the request, and
// must still hand it to the WebSocket.
func TestAuthSentWithTheUpgradeIsRead(t *testing.T) {
	e := startConnTest(t)
	_, token, _, err := e.svc.StartConversation(context.Background(), NewConversation{Audience: AudienceSelf, Language: "es", Region: "Madrid"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	upgrade := "GET /ws HTTP/1.1\r\nHost: " + strings.TrimPrefix(e.srv.URL, "http://") + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	auth := maskedTextFrame([]byte(`{"type":"auth","token":"` + token + `"}`))
	if _, err := conn.Write(append([]byte(upgrade), auth...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %s", resp.Status)
	}
	var f testFrame
	if err := json.Unmarshal(readServerFrame(t, br), &f); err != nil || f.Type != "ready" {
		t.Fatalf("first frame %+v (%v), want ready", f, err)
	}
}

// maskedTextFrame encodes p as one client text frame (RFC 6455 §5.2).
func maskedTextFrame(p []byte) []byte {
	f := []byte{0x81}
	switch {
	case len(p) < 126:
		f = append(f, 0x80|byte(len(p)))
	default:
		f = append(f, 0x80|126, byte(len(p)>>8), byte(len(p)))
	}
	key := [4]byte{1, 2, 3, 4}
	f = append(f, key[:]...)
	for i, b := range p {
		f = append(f, b^key[i%4])
	}
	return f
}

// readServerFrame reads one unmasked, unfragmented server frame's payload.
func readServerFrame(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			t.Fatal(err)
		}
		n = int(ext[0])<<8 | int(ext[1])
	case 127:
		t.Fatal("unexpectedly large frame")
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatal(err)
	}
	return p
}
