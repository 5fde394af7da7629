package chat

import (
	"context"
	"sync"
	"sync/atomic"

	"helpline/chat/wire"
)

// Hub is one instance's view of who is connected to what: the one registry
// of this instance's connections (every one, the staff among them, and per
// conversation its subscribers). It keeps, per conversation with local
// subscribers, a short ring of the newest messages so that live delivery
// rarely touches the store, and the highest sequence number known to exist.
// Connections pull messages by sequence number: the hub never queues a
// message per connection, so a slow connection costs nobody else anything.
type Hub struct {
	store Store

	mu         sync.Mutex
	rooms      map[string]*room
	conns      map[*Conn]struct{} // every connection
	staff      map[*Conn]struct{} // of those, staff
	staffCount map[int64]int      // connections per staff member
}

// ringSize is how many of a conversation's newest messages the hub keeps:
// a connection's cursor is most often one or two behind the newest, and one
// further behind reads the rest from the store. It was 32; every room with
// local subscribers holds its ring for as long as they stay, each message
// of it 136 bytes and whatever strings it keeps alive, and grown by
// doubling it was also garbage on every room's first 32 messages. Eight,
// made at once, is 1 KiB a room.
const ringSize = 8

type room struct {
	mu    sync.Mutex
	subs  map[*Conn]struct{}
	ring  []Message // contiguous sequence numbers, oldest first
	known int64     // highest seq known to be stored
}

func newHub(store Store) *Hub {
	return &Hub{store: store, rooms: map[string]*room{}, conns: map[*Conn]struct{}{}, staff: map[*Conn]struct{}{},
		staffCount: map[int64]int{}}
}

// testHookJoinFound, when set, runs in join once it has the room and before
// it adds the connection to it.
var testHookJoinFound atomic.Pointer[func(*Hub)]

// join adds c to the conversation's room, under the hub's lock: leave
// drops an emptied room under it, so a room found here is still the hub's
// when c is in it. (Added after letting go, c could land in a room just
// dropped, which publish never finds: no live message would reach it.)
func (h *Hub) join(c *Conn, conversationID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[conversationID]
	if r == nil {
		r = &room{subs: map[*Conn]struct{}{}}
		h.rooms[conversationID] = r
	}
	if hook := testHookJoinFound.Load(); hook != nil {
		(*hook)(h)
	}
	r.mu.Lock()
	r.subs[c] = struct{}{}
	r.mu.Unlock()
}

func (h *Hub) leave(c *Conn, conversationID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[conversationID]
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.subs, c)
	empty := len(r.subs) == 0
	r.mu.Unlock()
	if empty {
		delete(h.rooms, conversationID)
	}
}

func (h *Hub) room(conversationID string) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[conversationID]
}

// add registers a connection; first says it is its staff member's first
// on this instance.
func (h *Hub) add(c *Conn) (first bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conns[c] = struct{}{}
	if !c.principal.Role.IsStaff() {
		return false
	}
	h.staff[c] = struct{}{}
	if c.observer {
		return false // an observer puts no one on shift
	}
	h.staffCount[c.principal.StaffID]++
	return h.staffCount[c.principal.StaffID] == 1
}

// remove forgets a connection; last says it was its staff member's last on
// this instance.
func (h *Hub) remove(c *Conn) (last bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[c]; !ok {
		return false
	}
	delete(h.conns, c)
	if !c.principal.Role.IsStaff() {
		return false
	}
	delete(h.staff, c)
	if c.observer {
		return false
	}
	if h.staffCount[c.principal.StaffID]--; h.staffCount[c.principal.StaffID] <= 0 {
		delete(h.staffCount, c.principal.StaffID)
		return true
	}
	return false
}

// connections copies the connections of this instance that match, so that
// nothing slow happens under the lock.
func (h *Hub) connections(match func(*Conn) bool) []*Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*Conn
	for c := range h.conns {
		if match(c) {
			out = append(out, c)
		}
	}
	return out
}

// staffIDs lists the staff members connected to this instance.
func (h *Hub) staffIDs() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]int64, 0, len(h.staffCount))
	for id := range h.staffCount {
		out = append(out, id)
	}
	return out
}

// staffConns returns the connected staff (all of them when staffID is 0),
// observers (supervisor pages) included.
func (h *Hub) staffConns(staffID int64) []*Conn { return h.staffConnsOf(staffID, true) }

// consoles returns the connected staff consoles: staffConns without the
// observers, which get no queue, team, offer or status frames.
func (h *Hub) consoles(staffID int64) []*Conn { return h.staffConnsOf(staffID, false) }

func (h *Hub) staffConnsOf(staffID int64, observers bool) []*Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*Conn
	for c := range h.staff {
		if c.observer && !observers {
			continue
		}
		if staffID == 0 || c.principal.StaffID == staffID {
			out = append(out, c)
		}
	}
	return out
}

func (r *room) subscribers() []*Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Conn, 0, len(r.subs))
	for c := range r.subs {
		out = append(out, c)
	}
	return out
}

// publish records stored messages (in sequence order per conversation) and
// wakes the local subscribers of their conversations.
func (h *Hub) publish(msgs []Message) {
	for i := 0; i < len(msgs); {
		j := i + 1
		for j < len(msgs) && msgs[j].ConversationID == msgs[i].ConversationID {
			j++
		}
		if r := h.room(msgs[i].ConversationID); r != nil {
			r.add(msgs[i:j])
			r.wake()
		}
		i = j
	}
}

func (r *room) add(msgs []Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ring == nil {
		r.ring = make([]Message, 0, ringSize)
	}
	for _, m := range msgs {
		switch {
		case len(r.ring) > 0 && m.Seq <= r.ring[len(r.ring)-1].Seq:
			continue // already here
		case len(r.ring) > 0 && m.Seq != r.ring[len(r.ring)-1].Seq+1:
			r.ring = r.ring[:0] // a gap: start again; readers fill gaps from the store
		case len(r.ring) == ringSize:
			copy(r.ring, r.ring[1:])
			r.ring = r.ring[:ringSize-1]
		}
		r.ring = append(r.ring, m)
		r.known = max(r.known, m.Seq)
	}
}

func (r *room) announce(seq int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq <= r.known {
		return false
	}
	r.known = seq
	return true
}

// wake wakes every subscriber, under the room's lock: waking never blocks
// (wakeUp), and a copy of the subscribers was garbage on every message.
func (r *room) wake() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.subs {
		c.wakeUp()
	}
}

// after appends to buf the messages after cursor that the ring holds. When
// the ring cannot serve them but more are known to exist, fromStore is true
// and the caller reads them from the store. The caller's buffer (on its
// stack) spares a copy of the ring on the heap for every delivery.
func (h *Hub) after(conversationID string, cursor int64, buf []Message) (msgs []Message, fromStore bool) {
	r := h.room(conversationID)
	if r == nil {
		return buf, true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.ring); n > 0 && r.ring[0].Seq <= cursor+1 && r.ring[n-1].Seq > cursor {
		return append(buf, r.ring[cursor+1-r.ring[0].Seq:]...), false
	}
	return buf, r.known > cursor
}

// knows reports whether messages up to seq are known to exist here.
func (h *Hub) knows(conversationID string, seq int64) bool {
	r := h.room(conversationID)
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.known >= seq
}

// resync rereads the newest sequence number of every local conversation,
// after events may have been missed.
func (h *Hub) resync(ctx context.Context) {
	h.mu.Lock()
	ids := make([]string, 0, len(h.rooms))
	for id := range h.rooms {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	for _, id := range ids {
		c, err := h.store.Conversation(ctx, id)
		if err != nil {
			continue
		}
		if r := h.room(id); r != nil {
			r.announce(c.LastSeq)
			r.wake()
			for _, conn := range r.subscribers() {
				conn.enqueue(serverFrame{Type: wire.FrameConversation, Conversation: ptr(c.View())})
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
