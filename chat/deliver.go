package chat

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"helpline/chat/wire"
)

// kick makes sure a writer serves what was just queued. Each frame or
// wake-up counts one in pending after it is queued; the count going from
// zero to one starts the writer, and the writer exits only by bringing it
// back to zero. So a frame queued while the writer is finishing is either
// seen by it or starts a new one (no lost wake-up), and two writers never
// run at once (the next one starts only after the last one's final count).
//
// A writer starts for nearly every frame or message on a quiet connection,
// so it starts from the method value made with the connection: a go
// statement on c.writeLoop itself wraps it in a new closure every time.
// It runs on an idle writer goroutine when there is one (startWriter).
func (c *Conn) kick() {
	if c.pending.Add(1) == 1 {
		if c.writer == nil { // a Conn not made by authenticateConn (tests)
			c.writer = c.writeLoop
		}
		startWriter(c.writer)
	}
}

// Writer goroutines are kept between connections' writers. A goroutine
// made for each writer started (two or three a message) began with a small
// stack and grew it, copying the stack, on every frame it wrote: in a
// profile of 1,000 pairs on PostgreSQL that copying was 4.4 % of the
// server's CPU, besides making and freeing the goroutine. A goroutine that
// has written keeps its grown stack: when a writer finishes, its goroutine
// waits for the next connection's writer, up to maxIdleWriters of them;
// past that, or with none waiting, a writer gets a goroutine of its own as
// before. Which goroutine runs a connection's writer changes nothing about
// it: kick still starts one writer per connection at a time, and a writer
// blocked on a slow socket holds only its own goroutine.
var idleWriters = make(chan func()) // unbuffered: taken only by a goroutine waiting for it

// idleWriterCount is how many goroutines wait on idleWriters, or are about
// to.
var idleWriterCount atomic.Int32

// maxIdleWriters bounds the goroutines kept waiting: a burst (every
// connection resuming at once) needs many writers at a time, and keeping
// them all after it would be memory for nothing.
const maxIdleWriters = 64

// writersStarted counts the writer goroutines made (for tests).
var writersStarted atomic.Int64

// startWriter runs a connection's writer on a waiting writer goroutine, or
// on a new one if none waits.
func startWriter(run func()) {
	select {
	case idleWriters <- run:
	default:
		writersStarted.Add(1)
		go writerGoroutine(run)
	}
}

// writerGoroutine runs writers, one after another, while it is among the
// first maxIdleWriters to wait for the next.
func writerGoroutine(run func()) {
	for {
		run()
		if idleWriterCount.Add(1) > maxIdleWriters {
			idleWriterCount.Add(-1)
			return
		}
		run = <-idleWriters
		idleWriterCount.Add(-1)
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
		// Before the count: once it is zero another writer may start and
		// set a deadline of its own.
		c.clearWriteDeadline()
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
//
// What a turn writes is held and sent in one write as it ends
// (heldwrites.go), also when it ends on an error: a close frame
// coder/websocket wrote meanwhile is among what is held.
func (c *Conn) drain() (err error) {
	c.holdWrites()
	defer func() {
		if sendErr := c.sendHeld(); err == nil {
			err = sendErr
		}
	}()
	return c.turn()
}

// turn is drain's loop.
func (c *Conn) turn() error {
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
		if f, ok := c.out.pop(); ok {
			// The wake-up served above may be older than this frame; one
			// queued since, before this frame, announces a message that
			// must go first (a sender's message, woken before its ack was
			// queued). Having taken the frame, that wake-up is surely seen.
			if _, err := c.deliverIfWoken(); err != nil {
				return err
			}
			if err := c.writeFrame(*f); err != nil {
				return err
			}
			release(f)
			served = true
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
			if err := c.writeFrame(errorFrame(err, id)); err != nil {
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
		var buf [ringBuffered]Message // most deliveries are a message or two: no copy on the heap
		for first := true; ; first = false {
			msgs, fromStore := c.svc.hub.after(id, cursor, buf[:0])
			// A sync always consults the store once: the ring only knows
			// what happened since this instance's first subscriber came.
			if len(msgs) == 0 && (fromStore || asked && first) {
				if err := c.beforeWaiting(); err != nil {
					return err
				}
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
				if err := c.writeMessage(m); err != nil {
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
			if err := c.writeFrame(serverFrame{Type: wire.FrameSynced, ConversationID: id, LastSeq: &last}); err != nil {
				return err
			}
			if c.principal.Role.IsStaff() {
				// Handover notes travel with the history, to staff only.
				if notes, err := c.notes(id); err == nil && len(notes) > 0 {
					if err := c.writeFrame(serverFrame{Type: wire.FrameNotes, ConversationID: id, Notes: &notes}); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// notes reads a conversation's handover notes for a sync, having sent
// what the writer held: it waits for the store.
func (c *Conn) notes(conversationID string) ([]NoteView, error) {
	if err := c.beforeWaiting(); err != nil {
		return nil, err
	}
	return c.svc.Notes(c.ctx, c.principal, conversationID)
}

// ringBuffered is how many messages of the hub's ring a delivery copies
// onto the writer's stack; more go to the heap.
const ringBuffered = 4

// checkSyncPoint refuses a sync after a sequence number the conversation
// has not reached: a cursor there would wait for numbers that are already
// taken by other messages, and the connection would hear nothing live
// until it synced lower. Such a number was never sent to this client.
func (c *Conn) checkSyncPoint(conversationID string, after int64) error {
	if after == 0 || c.svc.hub.knows(conversationID, after) {
		return nil
	}
	if err := c.beforeWaiting(); err != nil {
		return err
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
