package chat

import "sync"

// frameQueue is a connection's frames waiting for its writer, at most
// limit of them. It was a channel of limit pointers, made whole when the
// connection opened and kept while it stayed: 2 KiB for every console
// (256 frames) and 256 bytes for every seeker, nearly always empty. This
// queue holds what is waiting, in a slice that grows with a burst and is
// let go once drained (a few slots are kept), so an idle connection holds
// next to nothing.
type frameQueue struct {
	mu    sync.Mutex
	items []*serverFrame // waiting from items[head]
	head  int
	limit int
}

// queueKept is the most slots a drained queue keeps for the next frames.
const queueKept = 4

// push appends f, or reports false when limit frames already wait.
func (q *frameQueue) push(f *serverFrame) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items)-q.head >= q.limit {
		return false
	}
	if q.head > 0 && len(q.items) == cap(q.items) {
		// Room at the front: move the waiting frames there before growing.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, f)
	return true
}

// pop takes the oldest waiting frame.
func (q *frameQueue) pop() (*serverFrame, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.items) {
		return nil, false
	}
	f := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		if cap(q.items) > queueKept {
			q.items = nil
		} else {
			q.items = q.items[:0]
		}
		q.head = 0
	}
	return f, true
}

// len is how many frames wait.
func (q *frameQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}
