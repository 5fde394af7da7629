package chat

import "testing"

// The queue keeps order, refuses the frame past its limit, and once
// drained after a burst keeps no more than a few slots.
func TestFrameQueueOrderLimitAndRelease(t *testing.T) {
	q := frameQueue{limit: 256}
	frames := make([]serverFrame, 300)
	next := 0
	for round := range 3 {
		for i := range 256 {
			if !q.push(&frames[i]) {
				t.Fatalf("round %d: frame %d refused below the limit", round, i)
			}
			if i%3 == 2 { // the writer takes some while more come
				f, _ := q.pop()
				if f != &frames[next%256] {
					t.Fatalf("round %d: out of order", round)
				}
				next++
			}
		}
		for q.len() < 256 {
			q.push(&frames[256+q.len()%44])
		}
		if q.push(&frames[299]) {
			t.Fatalf("round %d: a frame past the limit was queued", round)
		}
		for {
			if _, ok := q.pop(); !ok {
				break
			}
		}
		next = 0
		if q.len() != 0 || cap(q.items) > queueKept {
			t.Fatalf("round %d: drained, %d waiting in %d slots", round, q.len(), cap(q.items))
		}
	}
}

// An open connection's queue that has sent its frames keeps almost
// nothing: a channel of 256 pointers (2 KiB) was held by every console.
func TestIdleConnectionQueueHoldsLittle(t *testing.T) {
	q := frameQueue{limit: staffOutQueueFrames}
	for i := range 3 {
		q.push(&serverFrame{Type: "f"})
		if _, ok := q.pop(); !ok {
			t.Fatalf("frame %d not popped", i)
		}
	}
	if cap(q.items) > queueKept {
		t.Errorf("idle queue holds %d slots", cap(q.items))
	}
}
