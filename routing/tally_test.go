package routing

import (
	"context"
	"math/rand/v2"
	"testing"
)

// TeamTally counts exactly what Team lists.
func TestTeamTallyIsTheTeamCounted(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 3))
		r := newWaitsRouter(t, randomTeam(rng, rng.IntN(40)), 0)
		team, err := r.Team(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var want TeamTally
		for _, m := range team {
			want.OnShift++
			want.Active += m.Active
			want.Capacity += m.Capacity
			switch Status(m.Status) {
			case StatusAvailable:
				want.Available++
			case StatusBusy:
				want.Busy++
			case StatusBreak:
				want.Break++
			}
		}
		got, err := r.TeamTally(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("seed %d: tally %+v, the team counted %+v", seed, got, want)
		}
	}
}
