package chat

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// A console's queue is its queue frame plus every queue_changes after it,
// applied as PROTOCOL.md says (and console/queue.js does): drop the ids
// that left, replace or append the entries that entered, then put them in
// order when an order comes. Random queues, reordered, reprioritised and
// longer than a frame lists, must come out exactly.

type queueView struct {
	ids     []string
	entries map[string]string
	total   int
	version int64
}

func (v *queueView) apply(t *testing.T, data []byte) {
	var f struct {
		Type         string            `json:"type"`
		Waiting      []json.RawMessage `json:"waiting"`
		Entered      []json.RawMessage `json:"entered"`
		Left         []string          `json:"left"`
		Order        []string          `json:"order"`
		WaitingTotal int               `json:"waiting_total"`
		QueueVersion int64             `json:"queue_version"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	idOf := func(e json.RawMessage) string {
		var id struct {
			ConversationID string `json:"conversation_id"`
		}
		json.Unmarshal(e, &id)
		return id.ConversationID
	}
	switch f.Type {
	case "queue":
		v.ids, v.entries = nil, map[string]string{}
		for _, e := range f.Waiting {
			v.ids = append(v.ids, idOf(e))
			v.entries[idOf(e)] = string(e)
		}
	case "queue_changes":
		if f.QueueVersion != v.version+1 {
			t.Fatalf("queue_changes version %d after %d", f.QueueVersion, v.version)
		}
		for _, id := range f.Left {
			v.ids = slices.DeleteFunc(v.ids, func(x string) bool { return x == id })
			delete(v.entries, id)
		}
		for _, e := range f.Entered {
			id := idOf(e)
			if _, ok := v.entries[id]; !ok {
				v.ids = append(v.ids, id)
			}
			v.entries[id] = string(e)
		}
		if f.Order != nil {
			v.ids = f.Order
		}
	}
	v.total, v.version = f.WaitingTotal, f.QueueVersion
}

func randomQueue(rng *rand.Rand, base time.Time) []Conversation {
	var q []Conversation
	for i := range 70 {
		if rng.IntN(3) == 0 {
			continue
		}
		q = append(q, Conversation{ID: fmt.Sprint("c", i), Audience: "self", Language: "es", QueuedAt: base.Add(time.Duration(i) * time.Second),
			Priority: []int{0, 0, 0, 10, 20}[rng.IntN(5)]})
	}
	if rng.IntN(2) == 0 { // a few seekers, not a full page
		q = q[:min(len(q), rng.IntN(8))]
	}
	rng.Shuffle(len(q), func(i, j int) {
		if rng.IntN(6) == 0 { // mostly in arrival order, now and then reordered
			q[i], q[j] = q[j], q[i]
		}
	})
	return q
}

func TestQueueChangesAfterTheSnapshotGiveTheQueue(t *testing.T) {
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 2))
		var cast queueCast
		if err := cast.prime(randomQueue(rng, base), base); err != nil {
			t.Fatal(err)
		}
		snap, err := encodeFrame(cast.snapshotFrame())
		if err != nil {
			t.Fatal(err)
		}
		var v queueView
		v.apply(t, snap)
		var last []Conversation
		for range 30 {
			last = randomQueue(rng, base)
			c, whole, err := cast.replace(last, base)
			if err != nil {
				t.Fatal(err)
			}
			if !c.changed {
				continue
			}
			v.apply(t, c.frame().encoded)
			var w queueView
			w.apply(t, whole.encoded)
			if !slices.Equal(v.ids, w.ids) || v.total != w.total {
				t.Fatalf("seed %d: the changes give %v (%d), the whole frame %v (%d)", seed, v.ids, v.total, w.ids, w.total)
			}
			for id, e := range w.entries {
				if v.entries[id] != e {
					t.Fatalf("seed %d: entry %s is %s, want %s", seed, id, v.entries[id], e)
				}
			}
		}
		if want := queueFrame(last); v.total != *want.WaitingTotal || len(v.ids) != len(*want.Waiting) {
			t.Fatalf("seed %d: %d listed of %d, want %d of %d", seed, len(v.ids), v.total, len(*want.Waiting), *want.WaitingTotal)
		}
	}
}

// An arrival costs one entry, not the list again.
func TestQueueChangesCarryOnlyWhatChanged(t *testing.T) {
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	q := []Conversation{{ID: "a", QueuedAt: base}, {ID: "b", QueuedAt: base.Add(time.Second)}}
	var cast queueCast
	cast.prime(q, base)
	c, _, _ := cast.replace(append(q[1:], Conversation{ID: "c", QueuedAt: base.Add(2 * time.Second)}), base)
	if len(c.entered) != 1 || fmt.Sprint(c.left) != "[a]" || c.order != nil || c.total != 2 {
		t.Fatalf("changes %s left %v order %v total %d: want c entered, a left, no order", c.entered, c.left, c.order, c.total)
	}
	if c, _, _ := cast.replace(append(q[1:], Conversation{ID: "c", QueuedAt: base.Add(2 * time.Second)}), base); c.changed {
		t.Fatalf("no change reported as %+v", c)
	}
}

// The refresher may read an empty queue before any console asked for it:
// the snapshot is then that empty queue, not nothing (a console was once
// sent an empty message).
func TestQueueSnapshotOfAnEmptyFirstReadIsAQueueFrame(t *testing.T) {
	var cast queueCast
	if _, _, err := cast.replace(nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	data, err := encodeFrame(cast.snapshotFrame())
	if err != nil || !json.Valid(data) {
		t.Fatalf("snapshot %q, %v", data, err)
	}
	var v queueView
	v.apply(t, data)
	if v.total != 0 || len(v.ids) != 0 {
		t.Fatalf("snapshot %s, want an empty queue", data)
	}
	var team teamCast
	team.replace(nil, time.Now())
	if data, err := encodeFrame(team.snapshotFrame()); err != nil || !json.Valid(data) {
		t.Fatalf("team snapshot %q, %v", data, err)
	}
}
