package chat

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"time"
)

// teamCast is the team as this instance last told its consoles. The queue
// refresher replaces it and sends every console only what changed
// (team_changes); a console that connects gets the snapshot whole
// (teamList), so that its list and the next change start from the same
// state.
//
// A console never needs the whole team again while it stays connected, so
// there is no periodic full resend: every change after its snapshot reaches
// it, in order (frames are never dropped; a connection that cannot keep up
// is closed, and gets a new snapshot when it reconnects), and a change
// sets values rather than adjusting them, so one that its snapshot already
// included does no harm when applied again.
type teamCast struct {
	mu      sync.Mutex
	members map[string]teamEntry // by staff id, as last sent
	list    json.RawMessage      // all of them, in the router's order
	readAt  time.Time            // when the router was last asked
}

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
}

func (c teamChange) empty() bool { return len(c.added)+len(c.changed)+len(c.gone) == 0 }

// replace makes team the snapshot and returns what changed since the last
// one. With a busy team most members change every second, but only in a
// field or two (how many conversations they have): those go alone.
func (t *teamCast) replace(team []TeamMember, now time.Time) (teamChange, error) {
	members, list, err := encodeTeam(team)
	if err != nil {
		return teamChange{}, err
	}
	t.mu.Lock()
	before := t.members
	t.members, t.list, t.readAt = members, list, now
	t.mu.Unlock()
	c := teamChange{added: []json.RawMessage{}, changed: []json.RawMessage{}, gone: []string{}}
	for _, m := range team {
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
	return c, nil
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
	members, list, err := encodeTeam(team)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.members == nil {
		t.members, t.list, t.readAt = members, list, now
	}
	return nil
}

// snapshot returns the team list as last sent (nil before the first), and
// when it was read.
func (t *teamCast) snapshot() (json.RawMessage, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.list, t.readAt
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

// teamList is the team in the frame a console gets when it connects. It is
// read from the snapshot when the frame is written, not when it is queued:
// the refresher may send a team_changes to the new connection between the
// two, and a list read before that change but arriving after it would
// undo it for good. Read at writing, the list includes every change sent
// before it, and every change after it follows it.
type teamList struct{ cast *teamCast }

func (l *teamList) MarshalJSON() ([]byte, error) {
	if list, _ := l.cast.snapshot(); list != nil {
		return list, nil
	}
	return []byte("[]"), nil
}
