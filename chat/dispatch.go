package chat

import (
	"context"
	"io"
	"sync"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"helpline/chat/wire"
)

// allowed says which principals may send a client frame. Anyone refused
// is answered "not found", as for a conversation that does not exist.
type allowed int

const (
	anyone    allowed = iota
	staffOnly         // any staff role
	watchers          // supervisors and admins; a refusal is recorded
)

// frameRule is how one client frame type is handled: who may send it,
// whether it must name a conversation this connection may see, how it is
// checked once decoded (beyond the strict decoding every frame gets), and
// what it does. The rule of the action itself (role, membership, audit)
// is the Service method the handler calls; who and inConversation only
// spare the Service frames this connection could never have sent rightly.
type frameRule struct {
	who            allowed
	inConversation bool
	validate       func(f clientFrame) error
	handle         func(c *Conn, f clientFrame)
}

// clientFrames is every client frame type (PROTOCOL.md §3.3).
var clientFrames map[string]frameRule

func init() {
	clientFrames = map[string]frameRule{
		frameAuth:     {validate: validateAuth, handle: (*Conn).onAuth},
		framePing:     {handle: (*Conn).onPing},
		frameSync:     {inConversation: true, validate: validateSync, handle: (*Conn).onSync},
		frameSend:     {inConversation: true, validate: validateSend, handle: (*Conn).onSend},
		frameTyping:   {inConversation: true, validate: needConversation, handle: (*Conn).onTyping},
		frameEnd:      {inConversation: true, validate: validateEnd, handle: (*Conn).onEnd},
		frameAccept:   {who: staffOnly, validate: needConversation, handle: (*Conn).onAccept},
		frameStatus:   {who: staffOnly, validate: validateStatus, handle: (*Conn).onStatus},
		frameDecline:  {who: staffOnly, validate: needConversation, handle: (*Conn).onDecline},
		frameTransfer: {who: staffOnly, inConversation: true, validate: validateTransfer, handle: (*Conn).onTransfer},
		frameStreams:  {who: staffOnly, validate: validateStreams, handle: (*Conn).onStreams},
		frameWatch:    {who: watchers, validate: needConversation, handle: (*Conn).onWatch},
		frameUnwatch:  {who: watchers, validate: needConversation, handle: (*Conn).onUnwatch},
		// Who holds or watches it: the Service says not_found to anyone else.
		frameTransferTargets: {who: staffOnly, inConversation: true, validate: needConversation, handle: (*Conn).transferTargets},
	}
}

// handle handles one decoded, valid client frame by its rule.
func (c *Conn) handle(f clientFrame) {
	f.ConversationID = c.sameID(f.ConversationID)
	rule := clientFrames[f.Type]
	switch {
	case rule.who == watchers && c.principal.Role != RoleSupervisor && c.principal.Role != RoleAdmin:
		c.refuse(f)
	case rule.who == staffOnly && !c.principal.Role.IsStaff():
		c.enqueue(errorFrame(ErrNotFound, refOf(f)))
	case rule.inConversation && !c.member(f.ConversationID) && !(f.Type == frameSync && c.rejoin(f.ConversationID)):
		c.refuse(f)
	default:
		rule.handle(c, f)
	}
}

func (c *Conn) onAuth(clientFrame) {
	c.enqueue(errorFrame(Errorf(CodeInvalid, "already authenticated"), ""))
}

func (c *Conn) onPing(clientFrame) { c.answer(serverFrame{Type: wire.FramePong}) }

func (c *Conn) onSync(f clientFrame) {
	if err := c.svc.ReadHistory(c.ctx, c.principal, f.ConversationID); err != nil {
		c.enqueue(errorFrame(err, refOf(f)))
		return
	}
	c.mu.Lock()
	c.syncReqs[f.ConversationID] = *f.AfterSeq
	c.mu.Unlock()
	c.wakeUp()
}

func (c *Conn) onSend(f clientFrame) {
	res := c.svc.Send(c.ctx, c.principal, c.staff, f.ConversationID, f.ClientID, f.Body)
	if res.Err != nil {
		c.enqueue(errorFrame(res.Err, f.ClientID))
		return
	}
	if ack, ok := pooledAck(f.ConversationID, f.ClientID, res.Message.Seq, res.Message.SentAt); ok {
		c.enqueuePooled(ack)
		return
	}
	sentAt := res.Message.SentAt // a time json.Marshal writes differently: marshalled when written
	c.enqueue(serverFrame{Type: wire.FrameAck, ConversationID: f.ConversationID, ClientID: f.ClientID, Seq: res.Message.Seq, SentAt: &sentAt})
}

func (c *Conn) onTyping(f clientFrame) {
	if c.silent(f.ConversationID) {
		c.enqueue(errorFrame(ErrNotFound, refOf(f))) // a watcher is silent until they join
		return
	}
	c.svc.Typing(c.ctx, c.principal, f.ConversationID, f.Typing)
}

func (c *Conn) onEnd(f clientFrame) {
	if err := c.svc.End(c.ctx, c.principal, f.ConversationID, f.Reason); err != nil {
		c.enqueue(errorFrame(err, f.ConversationID))
	}
}

func (c *Conn) onAccept(f clientFrame) {
	if _, err := c.svc.Accept(c.ctx, c.principal, c.staff, f.ConversationID); err != nil {
		c.enqueue(errorFrame(err, refOf(f)))
	}
}

func (c *Conn) onWatch(f clientFrame) {
	conv, err := c.svc.Watch(c.ctx, c.principal, f.ConversationID)
	if err != nil {
		c.enqueue(errorFrame(err, refOf(f)))
		return
	}
	c.mu.Lock()
	if c.watching == nil {
		c.watching = map[string]bool{}
	}
	again := c.watching[conv.ID]
	c.watching[conv.ID] = true
	c.mu.Unlock()
	c.setPartOf(conv.ID, conv.Participant(c.principal.StaffID))
	c.subscribe(conv.ID)
	if !again {
		c.svc.watchStarted(c, conv.ID)
	}
	c.enqueue(serverFrame{Type: wire.FrameConversation, Conversation: ptr(conv.View())})
}

// onUnwatch ends this connection's watch of a conversation, so that its
// counsellor stops being shown the watcher: the connection stops receiving
// it, unless its staff member takes part in it (joined it, took it over).
// A conversation it does not watch is not_found, and nothing is recorded:
// a console may end a watch twice.
func (c *Conn) onUnwatch(f clientFrame) {
	c.mu.Lock()
	watched, part := c.watching[f.ConversationID], c.partOf[f.ConversationID]
	if watched && part {
		delete(c.watching, f.ConversationID)
	}
	c.mu.Unlock()
	switch {
	case !watched:
		c.enqueue(errorFrame(ErrNotFound, refOf(f)))
	case part:
		c.svc.watchStopped(c, f.ConversationID)
	default:
		c.unsubscribe(f.ConversationID)
	}
}

func (c *Conn) onStatus(f clientFrame) {
	capacity := 0
	if f.Capacity != nil {
		capacity = *f.Capacity
	}
	if err := c.svc.SetStatus(c.ctx, c.principal, f.Status, capacity); err != nil {
		c.enqueue(errorFrame(err, ""))
	}
}

func (c *Conn) onDecline(f clientFrame) {
	if err := c.svc.Decline(c.ctx, c.principal, f.ConversationID); err != nil {
		c.enqueue(errorFrame(err, refOf(f)))
	}
}

func (c *Conn) onTransfer(f clientFrame) {
	if err := c.svc.Transfer(c.ctx, c.principal, c.staff, f.ConversationID, f.To, f.Skill, f.Note); err != nil {
		c.enqueue(errorFrame(err, refOf(f)))
	}
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
		typ, buf, err := c.readFrame()
		if err != nil {
			return
		}
		if !limiter.Allow() {
			if strikes++; strikes > floodStrikeLimit {
				c.close(StatusFlood, "too many frames")
				return
			}
			c.slowDown(*buf)
		} else {
			strikes = 0
			c.receive(typ, *buf)
		}
		putReadBuffer(buf)
	}
}

// readPool holds the buffers client frames are read into, while one is
// handled: a buffer per frame (coder/websocket's Read) was garbage for
// every frame, and one per connection would be memory kept while it waits.
// A frame's bytes are not kept once handled: decoding copies what it keeps.
var readPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// readFrame waits for the next frame and reads it whole into a pooled
// buffer, which the caller hands back with putReadBuffer.
func (c *Conn) readFrame() (websocket.MessageType, *[]byte, error) {
	typ, r, err := c.ws.Reader(context.Background())
	if err != nil {
		return 0, nil, err
	}
	buf := readPool.Get().(*[]byte)
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*buf = b[:0]
			putReadBuffer(buf)
			return 0, nil, err
		}
	}
	*buf = b
	return typ, buf, nil
}

func putReadBuffer(buf *[]byte) {
	if cap(*buf) <= 2*maxFrameBytes {
		*buf = (*buf)[:0]
		readPool.Put(buf)
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
// receive is). The frame is not handled, but its ref is named when it has
// one, so that a client resends that send (same client id) after a pause
// instead of waiting for an ack that will never come.
func (c *Conn) slowDown(data []byte) {
	f, _ := decodeClientFrame(data)
	c.answer(errorFrame(Errorf(CodeRateLimited, "too many frames; slow down"), refOf(f)))
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
