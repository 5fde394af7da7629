package chat

import (
	"strconv"
	"testing"
	"time"
)

// A team read that finds the listed members as they were encoded costs
// nothing more: no encoding, no comparison of encodings. Any change a
// console would see (here a language, then Languages going from [] to
// null) is still a change.
func TestUnchangedTeamIsNotEncodedAgain(t *testing.T) {
	var cast teamCast
	now := time.Now()
	team := make([]TeamMember, 0, 80)
	for i := range 80 {
		team = append(team, TeamMember{ID: int64(i + 1), StaffID: strconv.Itoa(i + 1), DisplayName: "C", Status: "available",
			Capacity: 1, Active: 1, Languages: []string{"es"}, Audiences: []string{"self"}})
	}
	if err := cast.prime(team, now); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() {
		if ch, err := cast.replace(team, now); err != nil || !ch.empty() {
			t.Fatalf("the same team: %+v, %v", ch, err)
		}
	}); n != 0 {
		t.Errorf("%v allocations reading an unchanged team, want 0", n)
	}
	again := append([]TeamMember(nil), team...)
	again[7].Languages = []string{"en"}
	if ch, _ := cast.replace(again, now); len(ch.changed) != 1 || string(ch.changed[0]) != `{"id":"8","languages":["en"]}` {
		t.Errorf("a new language: %s, want member 8's languages", ch.changed)
	}
	again = append([]TeamMember(nil), again...)
	again[7].Languages = []string{}
	cast.replace(again, now)
	again = append([]TeamMember(nil), again...)
	again[7].Languages = nil
	if ch, _ := cast.replace(again, now); ch.empty() {
		t.Error("languages [] to null: no change")
	}
}
