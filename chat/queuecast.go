package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"helpline/chat/wire"
)

// queueCast is the waiting list as this instance last told its consoles,
// for those that asked for queue_changes: a queue frame when they connect,
// then only what changed. A console that takes whole queue frames (the
// queue stream, as every console did before) gets one a second while the
// queue changes, up to queueFrameEntries entries each; with queue_changes an arrival
// costs it one entry and a departure one id.
//
// Versions work as the team's (teamCast): each change makes the next
// version, the snapshot carries its own, a console skips what its
// snapshot includes and asks again (a streams frame) on a gap.
type queueCast struct {
	mu      sync.Mutex
	listed  []queueItem // the oldest queueFrameEntries, in queue order
	total   int
	version int64
	frame   []byte // the queue frame of this snapshot, encoded once
	readAt  time.Time
	primed  bool
}

type queueItem struct {
	id    string
	whole json.RawMessage
}

// queueChange is what a queue_changes frame carries.
type queueChange struct {
	entered []json.RawMessage // entries new to the list, or changed (priority): whole
	left    []string          // ids no longer listed
	order   *[]string         // every listed id in order, when not the old order with newcomers last
	total   int
	version int64
	changed bool
}

// frame is the queue_changes frame of c, encoded once for every console.
func (c queueChange) frame() serverFrame {
	return preEncoded(serverFrame{Type: wire.FrameQueueChanges, Entered: &c.entered, Left: &c.left, Order: c.order,
		WaitingTotal: &c.total, QueueVersion: &c.version})
}

// replace makes the waiting list the snapshot and returns what changed
// since the last one (changed false if nothing did), and the whole queue
// frame of the new snapshot, which queue-stream consoles get.
func (q *queueCast) replace(waiting []Conversation, now time.Time) (queueChange, serverFrame, error) {
	listed, total, err := encodeQueue(waiting)
	if err != nil {
		return queueChange{}, serverFrame{}, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	c := diffQueue(q.listed, listed, total, q.total)
	if !c.changed && q.primed {
		q.readAt = now
		return c, serverFrame{}, nil
	}
	q.readAt, q.primed = now, true
	q.version++
	c.version = q.version
	if err := q.set(listed, total); err != nil {
		return queueChange{}, serverFrame{}, err
	}
	return c, serverFrame{Type: wire.FrameQueue, encoded: q.frame}, nil
}

// diffQueue is what turns the list before into the list now: the ids
// that left, the entries that entered or changed, and the order when
// keeping the old one with newcomers last would not give it.
func diffQueue(before, now []queueItem, total, totalBefore int) queueChange {
	c := queueChange{entered: []json.RawMessage{}, left: []string{}, total: total, changed: total != totalBefore}
	was := make(map[string]json.RawMessage, len(before))
	for _, it := range before {
		was[it.id] = it.whole
	}
	is := make(map[string]bool, len(now))
	for _, it := range now {
		is[it.id] = true
	}
	var expected []string // the old order, without those gone, then the newcomers
	for _, it := range before {
		if is[it.id] {
			expected = append(expected, it.id)
		} else {
			c.left = append(c.left, it.id)
		}
	}
	order := make([]string, 0, len(now))
	for _, it := range now {
		order = append(order, it.id)
		old, ok := was[it.id]
		if !ok {
			expected = append(expected, it.id)
		}
		if !ok || !bytes.Equal(old, it.whole) {
			c.entered = append(c.entered, it.whole)
		}
	}
	if !slices.Equal(expected, order) {
		c.order = &order
	}
	c.changed = c.changed || len(c.entered)+len(c.left) > 0 || c.order != nil
	return c
}

// prime makes waiting the snapshot unless there already is one.
func (q *queueCast) prime(waiting []Conversation, now time.Time) error {
	listed, total, err := encodeQueue(waiting)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.primed {
		return nil
	}
	q.readAt, q.primed = now, true
	return q.set(listed, total)
}

// set makes listed the snapshot and encodes its queue frame. Called with
// mu held.
func (q *queueCast) set(listed []queueItem, total int) error {
	entries := make([]json.RawMessage, 0, len(listed))
	for _, it := range listed {
		entries = append(entries, it.whole)
	}
	pageSize := queueFrameEntries
	frame, err := json.Marshal(struct {
		Type         string            `json:"type"`
		Waiting      []json.RawMessage `json:"waiting"`
		WaitingTotal int               `json:"waiting_total"`
		PageSize     int               `json:"page_size"`
		QueueVersion int64             `json:"queue_version"`
	}{wire.FrameQueue, entries, total, pageSize, q.version})
	if err != nil {
		return err
	}
	q.listed, q.total, q.frame = listed, total, frame
	return nil
}

// waitingTotal is how many wait, as consoles were last told.
func (q *queueCast) waitingTotal() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

func (q *queueCast) primedAt() (bool, time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.primed, q.readAt
}

// snapshotFrame is the queue frame a queue_changes console gets: the
// snapshot when it is written (see teamCast.snapshotFrame).
func (q *queueCast) snapshotFrame() serverFrame {
	return serverFrame{Type: wire.FrameQueue, encode: func() ([]byte, error) {
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.frame == nil {
			return nil, errors.New("the queue snapshot was given out before it was read")
		}
		return q.frame, nil
	}}
}

// encodeQueue encodes the listed entries once each.
func encodeQueue(waiting []Conversation) ([]queueItem, int, error) {
	f := queueFrame(waiting)
	listed := make([]queueItem, 0, len(*f.Waiting))
	for _, e := range *f.Waiting {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, 0, err
		}
		listed = append(listed, queueItem{id: e.ConversationID, whole: b})
	}
	return listed, len(waiting), nil
}
