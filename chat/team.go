package chat

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"time"

	"helpline/chat/wire"
)

// teamCast is the team as this instance last told its consoles. The queue
// refresher replaces it and sends every console that asked for the team
// only what changed (team_changes), encoded once for all of them; a
// console that connects (or asks again with streams) gets the snapshot
// whole, so that its list and the next change start from the same state.
//
// What a console is told is bounded, whatever the size of the team: the
// first teamFrameMembers members in the router's order, and how many are
// on shift in all. Listing everyone made the staff traffic grow with the
// square of the consoles (each of N consoles connecting got a list of up
// to N, and each one's arrival went to all the others): 5.9 GB of frames
// while 5,000 consoles connected. Bounded, each console costs the same
// however many colleagues it has.
//
// Every change carries the version it makes; the snapshot carries the
// version it is. A console applies changes in order and ignores those its
// snapshot already includes; one that finds a change missing (a version
// skipped) asks for the snapshot again. Frames are never dropped on a
// connection (a connection that cannot keep up is closed), so that is a
// safety net, not a path the server expects.
type teamCast struct {
	mu      sync.Mutex
	members map[string]teamEntry // the listed ones, by staff id, as last sent
	total   int                  // on shift in all
	version int64                // of the snapshot; each team_changes adds one
	frame   []byte               // the team frame of this snapshot, encoded once
	listed  []TeamMember         // the listed ones as they were encoded (sameListed)
	readAt  time.Time            // when the router was last asked
	primed  bool
}

// teamFrameMembers bounds the members a console is sent (see teamCast).
const teamFrameMembers = 50

// teamEntry is one member as last sent: whole, and field by field.
type teamEntry struct {
	whole  json.RawMessage
	fields map[string]json.RawMessage
}

// teamChange is what a team_changes frame carries.
type teamChange struct {
	added   []json.RawMessage // whole members new to the list
	changed []json.RawMessage // {"id", and only the fields that changed}
	gone    []string
	total   int   // on shift in all, now
	version int64 // the version these changes make
	counted bool  // the total changed
}

func (c teamChange) empty() bool { return len(c.added)+len(c.changed)+len(c.gone) == 0 && !c.counted }

// frame is the team_changes frame of c, encoded once for every console.
func (c teamChange) frame() serverFrame {
	return preEncoded(serverFrame{Type: wire.FrameTeamChanges, Added: &c.added, Changed: &c.changed, Gone: &c.gone,
		TeamTotal: &c.total, TeamVersion: &c.version})
}

// replace makes team the snapshot and returns what changed since the last
// one (and a new version, when something did). With a busy team most
// members change every second, but only in a field or two (how many
// conversations they have): those go alone.
func (t *teamCast) replace(team []TeamMember, now time.Time) (teamChange, error) {
	listed := team[:min(len(team), teamFrameMembers)]
	if t.unchanged(listed, len(team), now) {
		return teamChange{}, nil
	}
	members, list, err := encodeTeam(listed)
	if err != nil {
		return teamChange{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	before, total := t.members, t.total
	c := teamChange{added: []json.RawMessage{}, changed: []json.RawMessage{}, gone: []string{}, total: len(team),
		counted: len(team) != total}
	for _, m := range listed {
		is, was := members[m.StaffID], before[m.StaffID]
		switch {
		case bytes.Equal(is.whole, was.whole):
		case was.fields == nil || !slices.Equal(slices.Sorted(maps.Keys(was.fields)), slices.Sorted(maps.Keys(is.fields))):
			c.added = append(c.added, is.whole) // new, or not comparable field by field
		default:
			c.changed = append(c.changed, fieldChanges(was.fields, is.fields))
		}
	}
	for id := range before {
		if _, ok := members[id]; !ok {
			c.gone = append(c.gone, id)
		}
	}
	if c.empty() && t.primed {
		t.readAt = now
		return c, nil
	}
	t.readAt, t.primed = now, true
	t.version++
	c.version = t.version
	return c, t.set(members, list, listed, len(team))
}

// unchanged reports whether the listed members and the total are as last
// encoded, field by field as the wire has them, and if so records the read.
// The refresher reads the team every second there was any change at all;
// encoding and comparing the list anew (a marshal and an unmarshal per
// member) when nothing in it had changed was most of its cost.
func (t *teamCast) unchanged(listed []TeamMember, total int, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.primed || total != t.total || len(listed) != len(t.listed) {
		return false
	}
	for i, m := range listed {
		if !sameOnTheWire(m, t.listed[i]) {
			return false
		}
	}
	t.readAt = now
	return true
}

// sameOnTheWire: a and b encode alike (TeamMember's JSON fields).
func sameOnTheWire(a, b TeamMember) bool {
	return a.StaffID == b.StaffID && a.DisplayName == b.DisplayName && a.Status == b.Status && a.Capacity == b.Capacity &&
		a.MaxCapacity == b.MaxCapacity && a.Active == b.Active && slices.Equal(a.Languages, b.Languages) &&
		slices.Equal(a.Audiences, b.Audiences) && (a.Languages == nil) == (b.Languages == nil) &&
		(a.Audiences == nil) == (b.Audiences == nil)
}

// set makes members the snapshot and encodes its team frame, once for
// every console that gets it. Called with mu held.
func (t *teamCast) set(members map[string]teamEntry, list json.RawMessage, listed []TeamMember, total int) error {
	raw := json.RawMessage(list)
	frame, err := json.Marshal(serverFrame{Type: wire.FrameTeam, Team: &raw, TeamTotal: &total, TeamVersion: &t.version})
	if err != nil {
		return err
	}
	t.members, t.total, t.frame = members, total, frame
	t.listed = make([]TeamMember, len(listed))
	for i, m := range listed { // the router's slices are not ours to keep as they are
		m.Languages, m.Audiences = slices.Clone(m.Languages), slices.Clone(m.Audiences)
		t.listed[i] = m
	}
	return nil
}

// fieldChanges is {"id":…} with the fields of now that differ from was
// (both having the same fields).
func fieldChanges(was, now map[string]json.RawMessage) json.RawMessage {
	out := append([]byte(`{"id":`), now["id"]...)
	for _, k := range slices.Sorted(maps.Keys(now)) {
		if !bytes.Equal(was[k], now[k]) {
			key, _ := json.Marshal(k)
			out = append(append(append(append(out, ','), key...), ':'), now[k]...)
		}
	}
	return append(out, '}')
}

// prime makes team the snapshot unless there already is one: the first
// console to connect starts from it, and so does the first team_changes.
func (t *teamCast) prime(team []TeamMember, now time.Time) error {
	listed := team[:min(len(team), teamFrameMembers)]
	members, list, err := encodeTeam(listed)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.primed {
		return nil
	}
	t.readAt, t.primed = now, true
	return t.set(members, list, listed, len(team))
}

// primedAt says whether there is a snapshot, and when the router was last
// asked for the team.
func (t *teamCast) primedAt() (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.primed, t.readAt
}

// encodeTeam encodes every member once: the same bytes serve to compare
// snapshots, to list the whole team and to send a member's changes.
func encodeTeam(team []TeamMember) (map[string]teamEntry, json.RawMessage, error) {
	members := make(map[string]teamEntry, len(team))
	list := []byte{'['}
	for i, m := range team {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, nil, err
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(b, &fields); err != nil {
			return nil, nil, err
		}
		members[m.StaffID] = teamEntry{whole: b, fields: fields}
		if i > 0 {
			list = append(list, ',')
		}
		list = append(list, b...)
	}
	return members, append(list, ']'), nil
}

// snapshotFrame is the team frame a console gets when it connects. It is
// the snapshot when the frame is written, not when it is queued: the
// refresher may send a team_changes to the new connection between the
// two, and a list read before that change but arriving after it would
// undo it for good. Read at writing, the list includes every change sent
// before it (whose versions it then carries), and every change after it
// follows it.
func (t *teamCast) snapshotFrame() serverFrame {
	return serverFrame{Type: wire.FrameTeam, encode: func() ([]byte, error) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.frame == nil {
			return []byte(`{"type":"team","team":[],"team_total":0,"team_version":0}`), nil
		}
		return t.frame, nil
	}}
}
