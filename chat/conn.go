package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"helpline/chat/wire"
)

// Connection limits (PROTOCOL.md §3).
const (
	maxFrameBytes  = 16 << 10
	authTimeout    = 10 * time.Second // Config.AuthTimeout's default
	idleTimeout    = 75 * time.Second // clients ping every 20 s
	writeTimeout   = 10 * time.Second
	outQueueFrames = 32 // frames waiting for the writer (frameQueue: an idle one holds next to nothing)
	// A console's queue is longer: it also gets the queue, team and
	// conversation updates of everyone, which come in bursts when many
	// things change at once (a reconnect storm), and a console closed as
	// slow must sign back in and resync everything it holds.
	staffOutQueueFrames = 256
	storePage           = 200
	framesPerSecond     = 20
	frameBurst          = 40
	floodStrikeLimit    = 50
)

func outQueueLength(r Role) int {
	if r.IsStaff() {
		return staffOutQueueFrames
	}
	return outQueueFrames
}

// Conn is one authenticated WebSocket. Its reader goroutine handles client
// frames. A writer goroutine runs only while there is something to send
// (see kick); it is the only one that writes, and the only one that touches
// cursors. An idle connection is one goroutine, blocked in Read.
type Conn struct {
	svc       *Service
	ws        *websocket.Conn
	nc        net.Conn // ws's socket, for its write deadline; nil if not known
	principal Principal
	staff     StaffInfo
	// observer: a supervisor page's socket (auth with observe): it gets
	// pushed frames only and does not put its staff member on shift.
	observer bool
	streams  atomic.Uint32 // streamSet: the broadcasts this console wants
	ctx      context.Context
	cancel   context.CancelFunc

	wake    chan struct{}
	out     frameQueue
	writer  func()       // writeLoop, made once: `go c.writeLoop()` allocated a closure each time (see kick)
	pending atomic.Int64 // frames and wake-ups not yet served; the writer runs while above zero

	waitingSince atomic.Int64 // monotonicNow when the reader began waiting for a frame

	mu       sync.Mutex
	convs    map[string]bool  // conversations this connection may see
	watching map[string]bool  // of those, the ones only watched (supervisors); nil until a watch
	partOf   map[string]bool  // of those, the ones this staff member takes part in (holds or joined); nil until a watch
	syncReqs map[string]int64 // sync frames not yet served by the writer

	cursors map[string]int64 // writer goroutine only

	lastWait Wait           // last place sent to a waiting seeker; queue refresher only
	ready    atomic.Bool    // ready has been queued: later frames may follow it
	held     []*serverFrame // frames queued before ready, sent right after it (under mu)

	closeOnce sync.Once
}

// ServeHTTP accepts a WebSocket at /ws and runs it, in a goroutine of its
// own, until it closes.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.lifeMu.Lock()
	if s.closing {
		s.lifeMu.Unlock()
		http.Error(w, "restarting; reconnect", http.StatusServiceUnavailable)
		return
	}
	s.handlers.Add(1)
	s.lifeMu.Unlock()
	if !originAllowed(r, s.cfg.OriginPatterns, s.cfg.HTTPS) {
		s.handlers.Done()
		http.Error(w, "this page's origin may not open the chat", http.StatusForbidden)
		return
	}
	sb := &socketBuffers{ResponseWriter: w}
	ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // the origin is checked above, scheme and host
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		s.handlers.Done()
		return // Accept has answered the request
	}
	// Returning from the handler lets net/http drop what it keeps for a
	// request (the request, its response, its 4 KiB buffers) and the
	// handler's deep stack, which a connection open for hours would hold.
	go s.serveSocket(ws, sb.conn)
}

// serveSocket authenticates a WebSocket and reads it until it closes.
//
// The work of opening is done in functions that have returned by the time
// the reader waits: what stays on this goroutine's stack while it waits is
// small enough for the runtime to shrink the stack to 8 KiB.
func (s *Service) serveSocket(ws *websocket.Conn, nc net.Conn) {
	defer s.handlers.Done()
	defer func() {
		// As net/http does for a handler: a bug costs this connection (the
		// client reconnects), not the server.
		if v := recover(); v != nil {
			s.log.Error("a connection's reader panicked; closed it", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	defer ws.CloseNow()
	c := s.authenticateConn(ws, nc)
	if c == nil {
		return
	}
	defer c.cancel()
	if !s.register(c) {
		ws.Close(StatusGoingAway, "server restarting")
		return
	}
	defer s.unregister(c)
	connected := s.cfg.Metrics.Connections.WithLabelValues(c.role())
	connected.Inc()
	defer connected.Dec()
	if c.open() {
		c.readLoop()
	}
}

// authenticateConn reads the auth frame and returns the connection it
// opens, or nil if there is none.
func (s *Service) authenticateConn(ws *websocket.Conn, nc net.Conn) *Conn {
	ws.SetReadLimit(maxFrameBytes)
	ctx, cancel := context.WithCancel(context.Background())
	p, staff, auth, err := s.authenticateSocket(ctx, ws)
	if err != nil {
		cancel()
		return nil
	}
	streams, _ := parseStreams(auth.Streams) // validated with the auth frame
	c := &Conn{svc: s, ws: ws, nc: nc, principal: p, staff: staff, observer: auth.Observe, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), out: frameQueue{limit: outQueueLength(p.Role)},
		convs: map[string]bool{}, syncReqs: map[string]int64{}, cursors: map[string]int64{}}
	c.writer = c.writeLoop
	c.waitingSince.Store(monotonicNow()) // the idle sweep may see it once registered
	c.streams.Store(uint32(streams))
	return c
}

func (c *Conn) role() string {
	if c.principal.Role.IsStaff() {
		return "staff"
	}
	return "seeker"
}

// open starts the connection (see start), or closes it saying whether to
// reconnect.
func (c *Conn) open() bool {
	err := c.start()
	switch {
	case err == nil:
		return true
	case ErrorCode(err) == CodeNotFound:
		// The seeker's conversation is gone (erased, or past retention):
		// this credential will never work again.
		c.close(StatusBadToken, "conversation no longer exists")
	default:
		c.close(StatusReconnect, "please reconnect")
	}
	return false
}

func (s *Service) authenticateSocket(ctx context.Context, ws *websocket.Conn) (Principal, StaffInfo, clientFrame, error) {
	data, err := readAuthFrame(ctx, ws, s.cfg.AuthTimeout)
	if err != nil {
		return Principal{}, StaffInfo{}, clientFrame{}, err
	}
	f, err := decodeClientFrame(data)
	if err == nil && f.Type != frameAuth {
		err = Errorf(CodeInvalid, "the first frame must be auth")
	}
	if err != nil {
		writeFrame(ctx, ws, errorFrame(err, ""))
		ws.Close(StatusBadToken, "auth required")
		return Principal{}, StaffInfo{}, clientFrame{}, err
	}
	p, staff, err := s.Authenticate(ctx, f.Token)
	if err == nil && f.Observe && p.Role != RoleSupervisor && p.Role != RoleAdmin {
		// Only the supervisor page observes; anyone else is refused as
		// if the credential were not theirs to use so.
		err = Errorf(CodeUnauthorized, "only supervisors and admins may observe")
	}
	if err != nil {
		writeFrame(ctx, ws, errorFrame(err, ""))
		ws.Close(StatusBadToken, "credential invalid or expired")
		return Principal{}, StaffInfo{}, clientFrame{}, err
	}
	return p, staff, f, nil
}

var errAuthTimeout = errors.New("no auth frame in time")

// readAuthFrame reads the first frame, closing the socket with 4002 if none
// comes within timeout. The Read itself gets no deadline: a Read whose
// context expires makes the WebSocket library drop the connection at once,
// without a close frame, and the client would see 1006 instead of 4002.
// The timer's close handshake ends the Read instead.
func readAuthFrame(ctx context.Context, ws *websocket.Conn, timeout time.Duration) ([]byte, error) {
	timer := time.AfterFunc(timeout, func() { ws.Close(StatusAuthTimeout, "send auth first") })
	_, data, err := ws.Read(ctx)
	if !timer.Stop() {
		return nil, errAuthTimeout // a frame that raced the timer: the socket is closing anyway
	}
	return data, err
}

func (s *Service) register(c *Conn) bool {
	s.lifeMu.Lock()
	if s.closing {
		s.lifeMu.Unlock()
		return false
	}
	first := s.hub.add(c) // under lifeMu: Shutdown sees it, or it sees closing
	s.lifeMu.Unlock()
	if first {
		// Outside the lock: presence is a store write.
		s.router.Connected(context.Background(), c.staff)
	}
	return true
}

func (s *Service) unregister(c *Conn) {
	c.cancel()
	if s.hub.remove(c) {
		s.router.Disconnected(context.Background(), c.principal.StaffID)
	}
	c.mu.Lock()
	ids := make([]string, 0, len(c.convs))
	for id := range c.convs {
		ids = append(ids, id)
	}
	var watched []string
	for id := range c.watching {
		watched = append(watched, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		s.hub.leave(c, id)
	}
	for _, id := range watched {
		s.watchStopped(c, id)
	}
}

// start subscribes the connection to its conversations and sends ready.
func (c *Conn) start() error {
	var convs []Conversation
	if c.observer {
		c.sendReady(serverFrame{Type: wire.FrameReady, Role: c.principal.Role, Conversations: &[]ConversationView{}, Staff: ptr(c.staff.View())})
		return nil
	}
	if c.principal.Role == RoleSeeker {
		conv, err := c.svc.Conversation(c.ctx, c.principal, c.principal.ConversationID)
		if err != nil {
			return err
		}
		convs = []Conversation{conv}
	} else {
		var err error
		if convs, err = c.svc.store.ActiveFor(c.ctx, c.principal.StaffID); err != nil {
			return err
		}
	}
	views := make([]ConversationView, 0, len(convs)) // [] when there are none, never omitted
	for _, conv := range convs {
		c.subscribe(conv.ID)
		views = append(views, conv.View())
	}
	ready := serverFrame{Type: wire.FrameReady, Role: c.principal.Role, Conversations: &views}
	if c.principal.Role.IsStaff() {
		ready.Staff = ptr(c.staff.View())
	}
	c.sendReady(ready)
	if c.principal.Role.IsStaff() {
		if err := c.sendSnapshots(); err != nil {
			return err
		}
	} else {
		c.svc.markQueueDirty() // so the seeker hears their place at once
	}
	return nil
}

func (c *Conn) subscribe(conversationID string) {
	c.mu.Lock()
	already := c.convs[conversationID]
	c.convs[conversationID] = true
	c.mu.Unlock()
	if !already {
		c.svc.hub.join(c, conversationID)
	}
}

func (c *Conn) unsubscribe(conversationID string) {
	c.mu.Lock()
	had, watched := c.convs[conversationID], c.watching[conversationID]
	delete(c.convs, conversationID)
	delete(c.watching, conversationID)
	delete(c.partOf, conversationID)
	c.mu.Unlock()
	if had {
		c.svc.hub.leave(c, conversationID)
	}
	if watched {
		c.svc.watchStopped(c, conversationID)
	}
}

// rejoin lets a counsellor sync a conversation that is still theirs but not
// in this connection's list: one that ended while their console was away
// (ready lists only conversations not ended), so they can read its last
// messages. Access is decided by mayAccess, as for everything else.
func (c *Conn) rejoin(conversationID string) bool {
	if !c.principal.Role.IsStaff() {
		return false
	}
	if _, err := c.svc.Conversation(c.ctx, c.principal, conversationID); err != nil {
		return false
	}
	c.subscribe(conversationID)
	return true
}

func (c *Conn) watches(conversationID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watching[conversationID]
}

// silent reports whether this connection only watches a conversation: it
// watches it, and its staff member has not joined it nor taken it over.
func (c *Conn) silent(conversationID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watching[conversationID] && !c.partOf[conversationID]
}

// setPartOf records whether this connection's staff member takes part in a
// watched conversation (as the latest Conversation heard says).
func (c *Conn) setPartOf(conversationID string, part bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if part && c.partOf == nil {
		c.partOf = map[string]bool{}
	}
	if part {
		c.partOf[conversationID] = true
	} else {
		delete(c.partOf, conversationID)
	}
}

// sameID returns the connection's own copy of a conversation id equal to
// id, or id. A frame's conversation id is a string of its own, and a send's
// went on to the stored message: one more copy of the id kept for every
// message, where the connection already holds one for the conversation.
func (c *Conn) sameID(id string) string {
	if id == c.principal.ConversationID {
		return c.principal.ConversationID
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.convs) > 64 {
		return id // not worth the search
	}
	for known := range c.convs {
		if known == id {
			return known
		}
	}
	return id
}

func (c *Conn) member(conversationID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.convs[conversationID]
}

func (c *Conn) sender() Sender {
	if c.principal.Role == RoleSeeker {
		return SenderSeeker
	}
	return SenderCounselor
}

func (c *Conn) wakeUp() {
	select {
	case c.wake <- struct{}{}:
		c.kick()
	default: // a wake-up is already queued, and its sender kicks the writer
	}
}

// push hands a frame to the writer without blocking. A connection whose
// queue is full cannot keep up; it is closed with 4001 and will resync
// everything when it reconnects, so nothing is lost.
func (c *Conn) push(f *serverFrame) {
	if c.out.push(f) {
		c.kick()
		return
	}
	c.svc.cfg.Metrics.SlowClosed.Inc()
	go c.close(StatusSlow, "too slow, reconnect")
}

// answer queues a reply to a flooding or chatty client (a pong, a
// rate-limit error) only while the queue is less than half full, and drops
// it otherwise: such replies must never crowd out real frames and get a
// client closed as "too slow".
func (c *Conn) answer(f serverFrame) {
	if c.out.len() >= c.out.limit/2 {
		return // keep room for the frames that matter
	}
	if c.out.push(&f) {
		c.kick()
	}
}

// encodeFrame is f's JSON: computed once for all its recipients when it
// was, else now.
func encodeFrame(f serverFrame) ([]byte, error) {
	switch {
	case f.encode != nil:
		return f.encode()
	case f.encoded != nil:
		return f.encoded, nil
	}
	return json.Marshal(f)
}

func (c *Conn) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.ws.Close(code, reason)
		c.cancel()
	})
}

func writeFrame(ctx context.Context, ws *websocket.Conn, f serverFrame) error {
	data, err := encodeFrame(f)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return ws.Write(wctx, websocket.MessageText, data)
}
