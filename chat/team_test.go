package chat

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// A console's team list is its first team frame plus every team_changes
// after it. These tests interleave snapshots, connections and writes the
// way the refresher and opening connections can, and check that every
// console ends with the last team exactly.

// fakeConsole is one connection: the frames queued for it, in order, and
// the team list it has built from those written so far.
type fakeConsole struct {
	queue []serverFrame
	team  map[string]map[string]string // id → field → JSON
	// Conn.start gets its team frame (teamFrame), then queues it: changes
	// may be queued before, between and after.
	teamFrame *serverFrame
	teamQueue bool
	// The version and total of the team it has, once it has a snapshot.
	snapshot bool
	version  int64
	total    int
}

// start takes Conn.start's next step.
func (c *fakeConsole) start(cast *teamCast) {
	if c.teamFrame == nil {
		f := cast.snapshotFrame()
		c.teamFrame = &f
		return
	}
	c.queue = append(c.queue, *c.teamFrame)
	c.teamQueue = true
}

func (c *fakeConsole) write(t *testing.T) {
	f := c.queue[0]
	c.queue = c.queue[1:]
	data, err := encodeFrame(f) // what writeFrame does, when the frame is written
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Type    string            `json:"type"`
		Team    []json.RawMessage `json:"team"`
		Added   []json.RawMessage `json:"added"`
		Changed []json.RawMessage `json:"changed"`
		Gone    []string          `json:"gone"`
		Version int64             `json:"team_version"`
		Total   int               `json:"team_total"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	switch got.Type {
	case "team":
		c.snapshot, c.version, c.total = true, got.Version, got.Total
		c.team = map[string]map[string]string{}
		for _, m := range got.Team {
			c.team[memberID(t, m)] = fieldsOf(t, m)
		}
	case "team_changes":
		// As the console does: before the snapshot, or included in it, a
		// change is ignored; a version skipped would need a new snapshot.
		if !c.snapshot || got.Version <= c.version {
			return
		}
		if got.Version != c.version+1 {
			t.Fatalf("team_changes version %d after %d: a change went missing", got.Version, c.version)
		}
		c.version, c.total = got.Version, got.Total
		for _, id := range got.Gone {
			delete(c.team, id)
		}
		for _, m := range got.Added {
			c.team[memberID(t, m)] = fieldsOf(t, m)
		}
		for _, m := range got.Changed {
			if had, ok := c.team[memberID(t, m)]; ok { // unknown: ignored (PROTOCOL.md)
				maps.Copy(had, fieldsOf(t, m))
			}
		}
	}
}

func memberID(t *testing.T, m json.RawMessage) string {
	var id struct{ ID string }
	if err := json.Unmarshal(m, &id); err != nil || id.ID == "" {
		t.Fatalf("member without id: %s", m)
	}
	return id.ID
}

func fieldsOf(t *testing.T, m json.RawMessage) map[string]string {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(m, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range raw {
		out[k] = string(v)
	}
	return out
}

func randomTeamOf(rng *rand.Rand) []TeamMember {
	var team []TeamMember
	for id := range 8 {
		if rng.IntN(3) == 0 {
			continue // not on shift
		}
		team = append(team, TeamMember{ID: int64(id), StaffID: strconv.Itoa(id), DisplayName: fmt.Sprint("C", id),
			Status: []string{"available", "busy", "break"}[rng.IntN(3)], Capacity: 3, Active: rng.IntN(3)})
	}
	return team
}

func encodedTeam(t *testing.T, team []TeamMember) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, m := range team {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out[m.StaffID] = fieldsOf(t, b)
	}
	return out
}

func sameTeam(a, b map[string]map[string]string) bool {
	return maps.EqualFunc(a, b, func(x, y map[string]string) bool { return maps.Equal(x, y) })
}

func TestTeamChangesAfterAnySnapshotGiveTheTeam(t *testing.T) {
	for seed := range uint64(100) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var cast teamCast
		now := time.Now()
		team := randomTeamOf(rng)
		if err := cast.prime(team, now); err != nil {
			t.Fatal(err)
		}
		var consoles []*fakeConsole
		for range 60 {
			switch op := rng.IntN(4); {
			case op == 0: // the refresher: a new snapshot, its changes to every console registered
				team = randomTeamOf(rng)
				ch, err := cast.replace(team, now)
				if err != nil {
					t.Fatal(err)
				}
				if !ch.empty() {
					f := ch.frame()
					for _, c := range consoles {
						c.queue = append(c.queue, f)
					}
				}
			case op == 1: // a connection registers (and hears changes from now on)
				consoles = append(consoles, &fakeConsole{team: map[string]map[string]string{"stale": {"id": `"stale"`}}})
			default: // a console's start goes on, or its writer writes one frame
				if len(consoles) == 0 {
					continue
				}
				c := consoles[rng.IntN(len(consoles))]
				if !c.teamQueue {
					c.start(&cast)
				} else if len(c.queue) > 0 {
					c.write(t)
				}
			}
		}
		want := encodedTeam(t, team)
		for i, c := range consoles {
			for !c.teamQueue {
				c.start(&cast)
			}
			for len(c.queue) > 0 {
				c.write(t)
			}
			if !sameTeam(c.team, want) {
				t.Fatalf("seed %d, console %d has %v\nwant %v", seed, i, c.team, want)
			}
		}
	}
}

// Without a snapshot read when the frame is written, a console that got a
// change before its team frame would lose that change: the case this
// design exists for.
func TestTeamFrameWrittenAfterAChangeIncludesIt(t *testing.T) {
	var cast teamCast
	now := time.Now()
	cast.prime(nil, now)
	c := &fakeConsole{team: map[string]map[string]string{}}
	teamFrame := cast.snapshotFrame() // read from the snapshot here…
	ana := []TeamMember{{ID: 1, StaffID: "1", DisplayName: "Ana", Status: "available"}}
	ch, _ := cast.replace(ana, now)
	c.queue = append(c.queue, ch.frame(), teamFrame) // …queued after the change
	c.write(t)
	c.write(t)
	if !sameTeam(c.team, encodedTeam(t, ana)) {
		t.Fatalf("console has %v, want Ana", c.team)
	}
}

func TestTeamChangesCarryOnlyWhatChanged(t *testing.T) {
	var cast teamCast
	now := time.Now()
	team := []TeamMember{{ID: 1, StaffID: "1", Status: "available"}, {ID: 2, StaffID: "2", Status: "available"},
		{ID: 3, StaffID: "3", Status: "busy", Active: 1}}
	cast.prime(team, now)
	next := []TeamMember{{ID: 1, StaffID: "1", Status: "available"}, {ID: 3, StaffID: "3", Status: "available", Active: 2},
		{ID: 4, StaffID: "4", Status: "break"}}
	ch, err := cast.replace(next, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.added) != 1 || memberID(t, ch.added[0]) != "4" || len(fieldsOf(t, ch.added[0])) < 8 {
		t.Errorf("added %s, want member 4 whole", ch.added)
	}
	if len(ch.changed) != 1 || string(ch.changed[0]) != `{"id":"3","active":2,"status":"available"}` {
		t.Errorf("changed %s, want member 3's status and active count", ch.changed)
	}
	if fmt.Sprint(ch.gone) != "[2]" {
		t.Errorf("gone %v, want [2]", ch.gone)
	}
	if ch, _ := cast.replace(next, now); !ch.empty() {
		t.Fatalf("no change reported as %+v", ch)
	}
}
