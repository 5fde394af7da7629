package routing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"helpline/chat"
)

// Waits counts pools instead of building them; these tests hold it to the
// plain rule: every seeker's place is their index in Order, and their pool
// is Pool's.

func randomTeam(rng *rand.Rand, n int) []Member {
	statuses := []Status{StatusAvailable, StatusAvailable, StatusBusy, StatusBreak, StatusOffline}
	langs := [][]string{nil, {"es"}, {"en"}, {"es", "en"}, {"ES-mx"}, {"fr"}}
	auds := [][]chat.Audience{nil, {chat.AudienceYoung}, {chat.AudienceSelf, chat.AudienceYoung, chat.AudienceOther}, {chat.AudienceOther}}
	out := make([]Member, 0, n)
	for i := range n {
		m := Member{Counselor: Counselor{ID: int64(i + 1), Status: statuses[rng.IntN(len(statuses))], Capacity: 1 + rng.IntN(5),
			Languages: langs[rng.IntN(len(langs))], Audiences: auds[rng.IntN(len(auds))]}, SeenAt: t0}
		if rng.IntN(10) == 0 {
			m.SeenAt = t0.Add(-time.Hour) // gone: not counted
		}
		out = append(out, m)
	}
	return out
}

func randomQueue(rng *rand.Rand, n, team int) []chat.Conversation {
	auds := []chat.Audience{chat.AudienceUnknown, chat.AudienceSelf, chat.AudienceYoung, chat.AudienceOther}
	langs := []string{"", "es", "en", "es-MX", "de"}
	out := make([]chat.Conversation, 0, n)
	for i := range n {
		c := chat.Conversation{ID: fmt.Sprintf("c%04d", i), Status: chat.StatusWaiting, Audience: auds[rng.IntN(len(auds))],
			Language: langs[rng.IntN(len(langs))], QueuedAt: t0.Add(-time.Duration(rng.IntN(600)) * time.Second)}
		if rng.IntN(8) == 0 {
			c.Priority = PriorityReturned
			c.RequiredSkill = auds[rng.IntN(len(auds))]
			c.Passed = []int64{int64(1 + rng.IntN(team))}
		}
		out = append(out, c)
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// referenceWaits is Waits written the obvious way.
func referenceWaits(r *Router, ctx context.Context, waiting []chat.Conversation) map[string]chat.Wait {
	now := r.cfg.Now()
	var ws []Waiting
	for _, c := range waiting {
		ws = append(ws, FromConversation(c))
	}
	cs := r.counselors(ctx, now, r.cfg.CounselorGrace)
	positions := Positions(ws)
	onShift := 0
	for _, c := range cs {
		if c.Status.OnShift() {
			onShift++
		}
	}
	out := map[string]chat.Wait{}
	for _, w := range ws {
		pool, fallback := Pool(w, cs)
		est := r.est.Estimate(positions[w.ConversationID], len(pool), now)
		out[w.ConversationID] = chat.Wait{Position: positions[w.ConversationID], Known: est.Known,
			LowMinutes: int(est.Low / time.Minute), HighMinutes: int(est.High / time.Minute),
			LanguageFallback: fallback, NoneOnShift: len(pool) == 0 && onShift == 0, NoneSuitable: len(pool) == 0 && onShift > 0}
	}
	return out
}

func newWaitsRouter(tb testing.TB, team []Member, samples int) *Router {
	tb.Helper()
	r := New(Config{Now: func() time.Time { return t0 }, CounselorGrace: time.Minute}, NewMemoryStore(), chat.NewMemoryStore(func() time.Time { return t0 }))
	for _, m := range team {
		if err := r.store.Join(context.Background(), m); err != nil {
			tb.Fatal(err)
		}
		if m.Status != StatusAvailable {
			if _, err := r.store.SetStatus(context.Background(), m.ID, m.Status, 0); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for i := range samples {
		r.est.Add(time.Duration(1+i%7)*time.Minute, 1+i%3, t0)
	}
	return r
}

func TestWaitsMatchesPoolAndOrder(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		teamSize := rng.IntN(30)
		r := newWaitsRouter(t, randomTeam(rng, teamSize), rng.IntN(2)*10)
		queue := randomQueue(rng, rng.IntN(60), max(teamSize, 1))
		got, want := r.Waits(ctx, queue), referenceWaits(r, ctx, queue)
		if !reflect.DeepEqual(got, want) {
			for id, w := range want {
				if got[id] != w {
					t.Errorf("seed %d, %s: Waits = %+v, want %+v", seed, id, got[id], w)
				}
			}
			t.Fatalf("seed %d: %d waits, want %d", seed, len(got), len(want))
		}
	}
}

// A seeker hears "no counsellor is online" only while nobody at all is on
// shift; when people are on shift but none could take them (a young person,
// and nobody on shift trained for young people), they hear that instead.
func TestWaitsSayNoneOnShiftOnlyWhenNobodyIs(t *testing.T) {
	ctx := context.Background()
	adult := Member{Counselor: Counselor{ID: 1, Status: StatusAvailable, Capacity: 2, Languages: []string{"es", "en"}}, SeenAt: t0}
	onBreak := adult
	onBreak.Status = StatusBreak
	trainedForYoung := adult
	trainedForYoung.ID, trainedForYoung.Audiences = 2, []chat.Audience{chat.AudienceSelf, chat.AudienceYoung, chat.AudienceOther}
	queue := []chat.Conversation{
		{ID: "young", Status: chat.StatusWaiting, Audience: chat.AudienceYoung, Language: "es", QueuedAt: t0.Add(-2 * time.Minute)},
		{ID: "self", Status: chat.StatusWaiting, Audience: chat.AudienceSelf, Language: "en", QueuedAt: t0.Add(-time.Minute)},
	}
	type note struct{ noneOnShift, noneSuitable bool }
	for _, tc := range []struct {
		name string
		team []Member
		want map[string]note
	}{
		{"nobody on shift", nil, map[string]note{"young": {true, false}, "self": {true, false}}},
		{"only someone not trained for young people", []Member{adult},
			map[string]note{"young": {false, true}, "self": {false, false}}},
		{"only someone not trained for young people, on a break", []Member{onBreak},
			map[string]note{"young": {false, true}, "self": {false, false}}},
		{"someone trained for young people", []Member{adult, trainedForYoung},
			map[string]note{"young": {false, false}, "self": {false, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			waits := newWaitsRouter(t, tc.team, 0).Waits(ctx, queue)
			for id, want := range tc.want {
				if got := (note{waits[id].NoneOnShift, waits[id].NoneSuitable}); got != want {
					t.Errorf("%s seeker: none_on_shift, none_suitable = %v, want %v", id, got, want)
				}
			}
		})
	}
}

func TestCountPoolIsLenPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var cs []Counselor
		for _, m := range randomTeam(rng, rng.IntN(20)) {
			cs = append(cs, m.Counselor)
		}
		for _, c := range randomQueue(rng, 20, max(len(cs), 1)) {
			w := FromConversation(c)
			pool, fallback := Pool(w, cs)
			if got := countPool(w, cs); got != (poolSize{n: len(pool), fallback: fallback}) {
				t.Fatalf("countPool(%+v) = %+v, Pool has %d, fallback %v", w, got, len(pool), fallback)
			}
		}
	}
}

// BenchmarkWaits is one queue refresh with 1,000 seekers waiting for 100
// counsellors.
func BenchmarkWaits(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	r := newWaitsRouter(b, randomTeam(rng, 100), 50)
	queue := randomQueue(rng, 1000, 100)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r.Waits(ctx, queue)
	}
}
