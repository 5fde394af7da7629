package chat

import (
	"sync"
	"testing"
	"time"
	"unsafe"
)

// The ring serves a delivery into the writer's buffer: the messages after
// the cursor, in order, and no copy of them on the heap.
func TestHubAfterFillsTheCallersBuffer(t *testing.T) {
	h := newHub(NewMemoryStore(time.Now))
	c := &Conn{}
	h.join(c, "c1")
	var msgs []Message
	for seq := int64(1); seq <= 6; seq++ {
		msgs = append(msgs, Message{ConversationID: "c1", Seq: seq, Body: "b"})
	}
	h.publish(msgs)
	var buf [ringBuffered]Message
	got, fromStore := h.after("c1", 3, buf[:0])
	if fromStore || len(got) != 3 || got[0].Seq != 4 || got[2].Seq != 6 {
		t.Fatalf("after 3: %v (from the store %v), want 4, 5, 6 from the ring", got, fromStore)
	}
	if got, fromStore := h.after("c1", 6, buf[:0]); fromStore || len(got) != 0 {
		t.Fatalf("after the last: %v (from the store %v), want nothing", got, fromStore)
	}
	if n := testing.AllocsPerRun(100, func() {
		var buf [ringBuffered]Message
		h.after("c1", 5, buf[:0])
	}); n != 0 {
		t.Errorf("%v allocations a delivery from the ring, want 0", n)
	}
}

// A room keeps its newest few messages, in a ring made once, at most
// about 1 KiB however long the conversation; a cursor further behind is
// sent to the store.
func TestRoomRingStaysSmall(t *testing.T) {
	h := newHub(NewMemoryStore(time.Now))
	h.join(&Conn{}, "c1")
	for seq := int64(1); seq <= 40; seq++ {
		h.publish([]Message{{ConversationID: "c1", Seq: seq, Body: "b"}})
	}
	r := h.room("c1")
	if size := cap(r.ring) * int(unsafe.Sizeof(Message{})); size > 1100 {
		t.Errorf("a room's ring holds %d bytes, want at most 1,100", size)
	}
	if _, fromStore := h.after("c1", 20, nil); !fromStore {
		t.Error("a cursor 20 behind: not sent to the store")
	}
	got, fromStore := h.after("c1", 40-ringSize, nil)
	if fromStore || len(got) != ringSize || got[0].Seq != 41-ringSize || got[ringSize-1].Seq != 40 {
		t.Errorf("the newest %d: %v (from the store %v)", ringSize, got, fromStore)
	}
}

// Waking a room's subscribers, and starting their writers, allocates
// nothing: no copy of the subscribers, no closure per writer started.
func TestWakingAllocatesNothing(t *testing.T) {
	h := newHub(NewMemoryStore(time.Now))
	var wg sync.WaitGroup
	conns := []*Conn{{wake: make(chan struct{}, 1)}, {wake: make(chan struct{}, 1)}}
	for _, c := range conns {
		c.writer = func() { // a writer that serves the wake-up and stops
			<-c.wake
			c.pending.Add(-1)
			wg.Done()
		}
		h.join(c, "c1")
	}
	r := h.room("c1")
	if n := testing.AllocsPerRun(100, func() {
		wg.Add(len(conns))
		r.wake()
		wg.Wait()
	}); n != 0 {
		t.Errorf("%v allocations waking two subscribers, want 0", n)
	}
}
