package chat

import (
	"sync"

	"helpline/chat/wire"
)

// queueViews is what each queue_changes console is shown of the queue: the
// list (a queue frame, then queue_changes), or, while its counsellor is at
// capacity, only how many wait (queue_total frames, sent only when that
// number changed).
//
// A counsellor at capacity cannot accept from the queue, and the console
// then shows only the number. With one counsellor per conversation nearly
// every console is full, and the list's churn (an entry for every
// arrival, an id for every departure, once a second) was most of the staff
// traffic: 56 MiB of the 104 MiB that 5,000 consoles received while they
// connected. A console that has room again gets the queue frame (the
// snapshot as it is written) and queue_changes from it.
//
// The broadcaster's goroutine calls send; a console's own goroutine calls
// start when it connects or asks again (streams). Both decide and enqueue
// under mu, so a console never gets the list after being switched to the
// total (or the other way round) without knowing it.
type queueViews struct {
	mu      sync.Mutex
	full    map[int64]bool // staff ids at capacity, as the team was last read
	counted map[*Conn]int  // consoles shown only the total: the last total each was sent
}

// setFull records who is at capacity in the team just read (every member
// on shift, not only those listed in team frames).
func (v *queueViews) setFull(team []TeamMember) {
	full := make(map[int64]bool)
	for _, m := range team {
		if m.Capacity > 0 && m.Active >= m.Capacity {
			full[m.ID] = true
		}
	}
	v.mu.Lock()
	v.full = full
	v.mu.Unlock()
}

// start queues a console's first view of the queue: list, the snapshot
// frame, or only total when its counsellor is at capacity.
func (v *queueViews) start(c *Conn, list serverFrame, total int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.full[c.principal.StaffID] {
		if v.counted == nil {
			v.counted = map[*Conn]int{}
		}
		v.counted[c] = total
		c.enqueue(queueTotalFrame(total))
		return
	}
	delete(v.counted, c)
	c.enqueue(list)
}

// send gives every queue_changes console among consoles what changed in
// its view: changes (nil if the list did not change) to those shown the
// list, the total to those at capacity when it is not the one they were
// last sent, and the snapshot to those who have room again. Frames are
// encoded once for all of them. Consoles no longer listed are forgotten.
func (v *queueViews) send(consoles []*Conn, changes *serverFrame, snapshot func() serverFrame, total int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	next := make(map[*Conn]int, len(v.counted))
	var totalFrame *serverFrame
	for _, c := range consoles {
		if !c.wants(streamQueueChanges) {
			continue
		}
		last, counted := v.counted[c]
		switch full := v.full[c.principal.StaffID]; {
		case full:
			next[c] = total
			if counted && last == total {
				continue
			}
			if totalFrame == nil {
				f := queueTotalFrame(total)
				totalFrame = &f
			}
			c.enqueue(*totalFrame)
		case counted:
			c.enqueue(snapshot()) // room again: the list as it stands, then its changes
		case changes != nil:
			c.enqueue(*changes)
		}
	}
	v.counted = next
}

func queueTotalFrame(total int) serverFrame {
	return preEncoded(serverFrame{Type: wire.FrameQueueTotal, WaitingTotal: &total})
}
