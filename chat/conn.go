package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"helpline/chat/wire"
)

// Connection limits (PROTOCOL.md §3).
const (
	maxFrameBytes  = 16 << 10
	authTimeout    = 10 * time.Second // Config.AuthTimeout's default
	idleTimeout    = 75 * time.Second // clients ping every 20 s
	writeTimeout   = 10 * time.Second
	outQueueFrames = 32 // pointers: a full queue costs 256 bytes, an idle one nothing more
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
	principal Principal
	staff     StaffInfo
	ctx       context.Context
	cancel    context.CancelFunc

	wake    chan struct{}
	out     chan *serverFrame
	pending atomic.Int64 // frames and wake-ups not yet served; the writer runs while above zero

	waitingSince atomic.Int64 // monotonicNow when the reader began waiting for a frame

	mu       sync.Mutex
	convs    map[string]bool  // conversations this connection may see
	watching map[string]bool  // of those, the ones only watched (supervisors); nil until a watch
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
	s.connsMu.Lock()
	if s.closing {
		s.connsMu.Unlock()
		http.Error(w, "restarting; reconnect", http.StatusServiceUnavailable)
		return
	}
	s.handlers.Add(1)
	s.connsMu.Unlock()
	if !originAllowed(r, s.cfg.OriginPatterns, s.cfg.HTTPS) {
		s.handlers.Done()
		http.Error(w, "this page's origin may not open the chat", http.StatusForbidden)
		return
	}
	ws, err := websocket.Accept(socketBuffers{w}, r, &websocket.AcceptOptions{
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
	go s.serveSocket(ws)
}

// serveSocket authenticates a WebSocket and reads it until it closes.
//
// The work of opening is done in functions that have returned by the time
// the reader waits: what stays on this goroutine's stack while it waits is
// small enough for the runtime to shrink the stack to 8 KiB.
func (s *Service) serveSocket(ws *websocket.Conn) {
	defer s.handlers.Done()
	defer func() {
		// As net/http does for a handler: a bug costs this connection (the
		// client reconnects), not the server.
		if v := recover(); v != nil {
			s.log.Error("a connection's reader panicked; closed it", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	defer ws.CloseNow()
	c := s.authenticateConn(ws)
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
func (s *Service) authenticateConn(ws *websocket.Conn) *Conn {
	ws.SetReadLimit(maxFrameBytes)
	ctx, cancel := context.WithCancel(context.Background())
	p, staff, err := s.authenticateSocket(ctx, ws)
	if err != nil {
		cancel()
		return nil
	}
	c := &Conn{svc: s, ws: ws, principal: p, staff: staff, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), out: make(chan *serverFrame, outQueueLength(p.Role)),
		convs: map[string]bool{}, syncReqs: map[string]int64{}, cursors: map[string]int64{}}
	c.waitingSince.Store(monotonicNow()) // the idle sweep may see it once registered
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

func (s *Service) authenticateSocket(ctx context.Context, ws *websocket.Conn) (Principal, StaffInfo, error) {
	data, err := readAuthFrame(ctx, ws, s.cfg.AuthTimeout)
	if err != nil {
		return Principal{}, StaffInfo{}, err
	}
	f, err := decodeClientFrame(data)
	if err == nil && f.Type != frameAuth {
		err = Errorf(CodeInvalid, "the first frame must be auth")
	}
	if err != nil {
		writeFrame(ctx, ws, errorFrame(err, ""))
		ws.Close(StatusBadToken, "auth required")
		return Principal{}, StaffInfo{}, err
	}
	p, staff, err := s.Authenticate(ctx, f.Token)
	if err != nil {
		writeFrame(ctx, ws, errorFrame(err, ""))
		ws.Close(StatusBadToken, "credential invalid or expired")
		return Principal{}, StaffInfo{}, err
	}
	return p, staff, nil
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
	s.connsMu.Lock()
	if s.closing {
		s.connsMu.Unlock()
		return false
	}
	s.conns[c] = struct{}{}
	first := false
	if c.principal.Role.IsStaff() {
		s.hub.addStaff(c)
		s.staffConns[c.principal.StaffID]++
		first = s.staffConns[c.principal.StaffID] == 1
	}
	s.connsMu.Unlock()
	if first {
		// Outside the lock: presence is a store write.
		s.router.Connected(context.Background(), c.staff)
	}
	return true
}

func (s *Service) unregister(c *Conn) {
	c.cancel()
	s.connsMu.Lock()
	delete(s.conns, c)
	last := false
	if c.principal.Role.IsStaff() {
		if s.staffConns[c.principal.StaffID]--; s.staffConns[c.principal.StaffID] <= 0 {
			delete(s.staffConns, c.principal.StaffID)
			last = true
		}
	}
	s.connsMu.Unlock()
	s.hub.removeStaff(c)
	if last {
		s.router.Disconnected(context.Background(), c.principal.StaffID)
	}
	c.mu.Lock()
	ids := make([]string, 0, len(c.convs))
	for id := range c.convs {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		s.hub.leave(c, id)
	}
}

// start subscribes the connection to its conversations and sends ready.
func (c *Conn) start() error {
	var convs []Conversation
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
		q, err := c.svc.queueFrame(c.ctx)
		if err != nil {
			return err
		}
		c.enqueue(q)
		team, err := c.svc.teamFrame(c.ctx)
		if err != nil {
			return err
		}
		c.enqueue(team)
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
	had := c.convs[conversationID]
	delete(c.convs, conversationID)
	delete(c.watching, conversationID)
	c.mu.Unlock()
	if had {
		c.svc.hub.leave(c, conversationID)
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
	select {
	case c.out <- f:
		c.kick()
	default:
		c.svc.cfg.Metrics.SlowClosed.Inc()
		go c.close(StatusSlow, "too slow, reconnect")
	}
}

// answer queues a reply to a flooding or chatty client (a pong, a
// rate-limit error) only while the queue is less than half full, and drops
// it otherwise: such replies must never crowd out real frames and get a
// client closed as "too slow".
func (c *Conn) answer(f serverFrame) {
	if len(c.out) >= cap(c.out)/2 {
		return // keep room for the frames that matter
	}
	select {
	case c.out <- &f:
		c.kick()
	default:
	}
}

func (c *Conn) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.ws.Close(code, reason)
		c.cancel()
	})
}

func writeFrame(ctx context.Context, ws *websocket.Conn, f serverFrame) error {
	data := f.encoded
	if data == nil {
		var err error
		if data, err = json.Marshal(f); err != nil {
			return err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return ws.Write(wctx, websocket.MessageText, data)
}

func (c *Conn) readLoop() {
	limiter := rate.NewLimiter(framesPerSecond, frameBurst)
	strikes := 0
	for {
		// No deadline on the Read: keepalive closes the socket once it has
		// waited idleTimeout (a context per Read kept a timer and four small
		// objects alive on every idle connection). Nor is c.ctx needed to
		// end it: whatever cancels c.ctx closes the socket too.
		c.waitingSince.Store(monotonicNow())
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		if !limiter.Allow() {
			if strikes++; strikes > floodStrikeLimit {
				c.close(StatusFlood, "too many frames")
				return
			}
			c.slowDown()
			continue
		}
		strikes = 0
		c.receive(typ, data)
	}
}

// receive decodes and handles one client frame. It is apart from readLoop
// so that its stack frame (the decoded frame, the answers it builds) is not
// kept while the connection waits for the next one.
func (c *Conn) receive(typ websocket.MessageType, data []byte) {
	if typ != websocket.MessageText {
		c.enqueue(errorFrame(Errorf(CodeInvalid, "frames must be JSON text"), ""))
		return
	}
	f, err := decodeClientFrame(data)
	if err != nil {
		c.svc.cfg.Metrics.FramesRefused.WithLabelValues(string(ErrorCode(err))).Inc()
		c.enqueue(errorFrame(err, refOf(f)))
		return
	}
	c.handle(f)
}

// slowDown answers a frame over the rate limit (apart from readLoop, as
// receive is).
func (c *Conn) slowDown() {
	c.answer(errorFrame(Errorf(CodeRateLimited, "too many frames; slow down"), ""))
}

func refOf(f clientFrame) string {
	if f.ClientID != "" && CheckClientID(f.ClientID) == nil {
		return f.ClientID
	}
	if len(f.ConversationID) <= 64 && CheckClientID(f.ConversationID) == nil {
		return f.ConversationID
	}
	return ""
}

// refuse answers "not found" to a frame about a conversation the principal
// may not reach and, for staff, records the attempt. A typing frame is not
// recorded: a console may still send one for a conversation just transferred
// away, which is no attempt to read anything.
func (c *Conn) refuse(f clientFrame) {
	if f.Type != frameTyping {
		c.svc.refused(c.ctx, c.principal, f.ConversationID)
	}
	c.enqueue(errorFrame(ErrNotFound, refOf(f)))
}

func (c *Conn) handle(f clientFrame) {
	ctx := c.ctx
	switch f.Type {
	case frameWatch:
		if c.principal.Role != RoleSupervisor && c.principal.Role != RoleAdmin {
			c.refuse(f)
			return
		}
	case frameStatus, frameDecline, frameTransfer, frameAccept:
		if !c.principal.Role.IsStaff() {
			c.enqueue(errorFrame(ErrNotFound, refOf(f)))
			return
		}
	}
	switch f.Type {
	case framePing, frameAccept, frameAuth, frameStatus, frameDecline, frameWatch:
	default:
		if !c.member(f.ConversationID) && !(f.Type == frameSync && c.rejoin(f.ConversationID)) {
			c.refuse(f)
			return
		}
	}
	switch f.Type {
	case frameAuth:
		c.enqueue(errorFrame(Errorf(CodeInvalid, "already authenticated"), ""))
	case framePing:
		c.answer(serverFrame{Type: wire.FramePong})
	case frameSync:
		if c.principal.Role.IsStaff() {
			if err := c.svc.recordRead(ctx, c.principal, f.ConversationID); err != nil {
				c.enqueue(errorFrame(err, refOf(f)))
				return
			}
		}
		c.mu.Lock()
		c.syncReqs[f.ConversationID] = *f.AfterSeq
		c.mu.Unlock()
		c.wakeUp()
	case frameSend:
		res := c.svc.Send(ctx, c.principal, c.staff, f.ConversationID, f.ClientID, f.Body)
		if res.Err != nil {
			c.enqueue(errorFrame(res.Err, f.ClientID))
			return
		}
		sentAt := res.Message.SentAt
		c.enqueue(serverFrame{Type: wire.FrameAck, ConversationID: f.ConversationID, ClientID: f.ClientID, Seq: res.Message.Seq, SentAt: &sentAt})
	case frameTyping:
		if c.watches(f.ConversationID) {
			c.enqueue(errorFrame(ErrNotFound, refOf(f))) // a watcher is silent
			return
		}
		c.svc.Typing(ctx, c.principal, f.ConversationID, f.Typing)
	case frameEnd:
		if err := c.svc.End(ctx, c.principal, f.ConversationID, f.Reason); err != nil {
			c.enqueue(errorFrame(err, f.ConversationID))
		}
	case frameAccept:
		if _, err := c.svc.Accept(ctx, c.principal, c.staff, f.ConversationID); err != nil {
			c.enqueue(errorFrame(err, refOf(f)))
		}
	case frameWatch:
		conv, err := c.svc.Watch(ctx, c.principal, f.ConversationID)
		if err != nil {
			c.enqueue(errorFrame(err, refOf(f)))
			return
		}
		c.mu.Lock()
		if c.watching == nil {
			c.watching = map[string]bool{}
		}
		c.watching[conv.ID] = true
		c.mu.Unlock()
		c.subscribe(conv.ID)
		c.enqueue(serverFrame{Type: wire.FrameConversation, Conversation: ptr(conv.View())})
	case frameStatus:
		capacity := 0
		if f.Capacity != nil {
			capacity = *f.Capacity
		}
		if err := c.svc.SetStatus(ctx, c.principal, f.Status, capacity); err != nil {
			c.enqueue(errorFrame(err, ""))
		}
	case frameDecline:
		if err := c.svc.Decline(ctx, c.principal, f.ConversationID); err != nil {
			c.enqueue(errorFrame(err, refOf(f)))
		}
	case frameTransfer:
		if err := c.svc.Transfer(ctx, c.principal, c.staff, f.ConversationID, f.To, f.Skill, f.Note); err != nil {
			c.enqueue(errorFrame(err, refOf(f)))
		}
	}
}

// kick makes sure a writer serves what was just queued. Each frame or
// wake-up counts one in pending after it is queued; the count going from
// zero to one starts the writer, and the writer exits only by bringing it
// back to zero. So a frame queued while the writer is finishing is either
// seen by it or starts a new one (no lost wake-up), and two writers never
// run at once (the next one starts only after the last one's final count).
func (c *Conn) kick() {
	if c.pending.Add(1) == 1 {
		go c.writeLoop()
	}
}

// testHookWriterDrained, when set, runs as a writer finds nothing left to
// send, just before it decides whether to stop: the moment a lost wake-up
// would happen.
var testHookWriterDrained atomic.Pointer[func(*Conn)]

// writeLoop sends everything queued, then exits once no kick came in
// meanwhile. On an error it leaves pending above zero, so no writer ever
// starts again on a connection that is going away.
func (c *Conn) writeLoop() {
	defer func() {
		// A bug here must cost one connection (which will resync), not the server.
		if v := recover(); v != nil {
			c.svc.log.Error("a connection's writer panicked; closing it", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			c.close(StatusReconnect, "please reconnect")
		}
	}()
	for {
		// Every kick counted in n came after its frame was queued, so the
		// drain below sees that frame.
		n := c.pending.Load()
		if err := c.drain(); err != nil {
			if !errors.Is(err, context.Canceled) {
				c.close(StatusReconnect, "please reconnect")
			}
			c.cancel()
			return
		}
		if h := testHookWriterDrained.Load(); h != nil {
			(*h)(c)
		}
		if c.pending.Add(-n) == 0 {
			return
		}
	}
}

// drain serves wake-ups and writes queued frames in order until both
// queues are empty. When both wait, the wake-up goes first, then one frame,
// turn about: a wake-up announces messages stored before what was queued
// meanwhile (a sender's ack is queued only after its message is published),
// so each side gets a message no later than its ack; and neither queue
// starves the other. Serving a wake-up before taking a frame is not enough:
// the message may be stored while that wake-up's delivery runs, past the
// point where it looked, and its ack queued before the writer takes the next
// frame. So a wake-up found after a frame is taken is served before the
// frame is written: it was queued before that frame.
func (c *Conn) drain() error {
	for {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		served, err := c.deliverIfWoken()
		if err != nil {
			return err
		}
		if h := testHookDelivered.Load(); h != nil {
			(*h)(c)
		}
		select {
		case f := <-c.out:
			// The wake-up served above may be older than this frame; one
			// queued since, before this frame, announces a message that
			// must go first (a sender's message, woken before its ack was
			// queued). Having taken the frame, that wake-up is surely seen.
			if _, err := c.deliverIfWoken(); err != nil {
				return err
			}
			if err := writeFrame(c.ctx, c.ws, *f); err != nil {
				return err
			}
			served = true
		default:
		}
		if !served {
			return nil
		}
	}
}

// testHookDelivered, when set, runs in the writer after it served (or
// found no) wake-up and before it takes the next queued frame.
var testHookDelivered atomic.Pointer[func(*Conn)]

// deliverIfWoken serves a queued wake-up, if there is one.
func (c *Conn) deliverIfWoken() (bool, error) {
	select {
	case <-c.wake:
		return true, c.deliver()
	default:
		return false, nil
	}
}

// deliver sends, for every synced conversation, each message after the
// connection's cursor: from the hub's ring when it has them, else from the
// store. Cursors only move forward by one, so nothing is skipped or repeated.
func (c *Conn) deliver() error {
	c.mu.Lock()
	var reqs map[string]int64
	if len(c.syncReqs) > 0 { // most wake-ups are new messages, not syncs: keep the empty map
		reqs = c.syncReqs // taken whole: handle writes to the new map meanwhile
		c.syncReqs = map[string]int64{}
	}
	c.mu.Unlock()
	for id, after := range reqs {
		if err := c.checkSyncPoint(id, after); err != nil {
			if ErrorCode(err) != CodeInvalid {
				return err
			}
			delete(reqs, id) // refused: the cursor stays where it was
			if err := writeFrame(c.ctx, c.ws, errorFrame(err, id)); err != nil {
				return err
			}
			continue
		}
		c.cursors[id] = after
	}
	for id, cursor := range c.cursors {
		if !c.member(id) {
			// Transferred away, returned to the queue or no longer
			// watched: nothing more of it may reach this connection.
			delete(c.cursors, id)
			continue
		}
		_, asked := reqs[id]
		for first := true; ; first = false {
			msgs, fromStore := c.svc.hub.after(id, cursor)
			// A sync always consults the store once: the ring only knows
			// what happened since this instance's first subscriber came.
			if len(msgs) == 0 && (fromStore || asked && first) {
				var err error
				if msgs, err = c.svc.store.Messages(c.ctx, id, cursor, storePage); err != nil {
					if ErrorCode(err) == CodeNotFound {
						break
					}
					return err
				}
			}
			start := cursor
			for _, m := range msgs {
				if m.Seq != cursor+1 {
					continue
				}
				if err := writeFrame(c.ctx, c.ws, messageFrame(m, c.isAuthor(m))); err != nil {
					return err
				}
				cursor = m.Seq
			}
			if cursor == start {
				break // nothing new, or nothing that follows on: done for now
			}
		}
		c.cursors[id] = cursor
		if asked {
			last := cursor
			if err := writeFrame(c.ctx, c.ws, serverFrame{Type: wire.FrameSynced, ConversationID: id, LastSeq: &last}); err != nil {
				return err
			}
			if c.principal.Role.IsStaff() {
				// Handover notes travel with the history, to staff only.
				if notes, err := c.svc.Notes(c.ctx, c.principal, id); err == nil && len(notes) > 0 {
					if err := writeFrame(c.ctx, c.ws, serverFrame{Type: wire.FrameNotes, ConversationID: id, Notes: &notes}); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// checkSyncPoint refuses a sync after a sequence number the conversation
// has not reached: a cursor there would wait for numbers that are already
// taken by other messages, and the connection would hear nothing live
// until it synced lower. Such a number was never sent to this client.
func (c *Conn) checkSyncPoint(conversationID string, after int64) error {
	if after == 0 || c.svc.hub.knows(conversationID, after) {
		return nil
	}
	conv, err := c.svc.store.Conversation(c.ctx, conversationID)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return nil // gone: the replay finds nothing, as for any sync of it
	case err != nil:
		return err
	case after > conv.LastSeq:
		return Errorf(CodeInvalid, "after_seq %d is beyond the conversation's last message (%d); sync from the last seq you received, or 0", after, conv.LastSeq)
	}
	return nil
}

func (c *Conn) isAuthor(m Message) bool {
	switch m.Sender {
	case SenderSeeker:
		return c.principal.Role == RoleSeeker
	case SenderCounselor:
		return c.principal.Role.IsStaff() && m.SenderID == c.principal.StaffID
	}
	return false
}
