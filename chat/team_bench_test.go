package chat

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkTeamReplaceUnchanged: the refresher's team read when nothing
// in the 50 listed of 1,000 on shift changed (BENCHMARKS.md, "Allocation
// per message at 1,000 and 5,000 pairs").
func BenchmarkTeamReplaceUnchanged(b *testing.B) {
	team := make([]TeamMember, 0, 1000)
	for i := range 1000 {
		team = append(team, TeamMember{ID: int64(i + 1), StaffID: strconv.Itoa(i + 1), DisplayName: "Counsellor " + strconv.Itoa(i),
			Status: "available", Capacity: 1, MaxCapacity: 3, Active: 1, Languages: []string{"es"}, Audiences: []string{"self", "young"}})
	}
	var cast teamCast
	now := time.Now()
	if err := cast.prime(team, now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cast.replace(team, now); err != nil {
			b.Fatal(err)
		}
	}
}
