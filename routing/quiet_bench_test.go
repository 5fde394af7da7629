package routing

import (
	"context"
	"testing"
	"time"

	"helpline/chat"
)

// BenchmarkNobodyWaiting: what the queue refresher's Waits and a leader's
// round cost with 1,000 counsellors on shift and nobody waiting, the
// steady state of the paired workload (BENCHMARKS.md, "Allocation per
// message at 1,000 and 5,000 pairs").
func BenchmarkNobodyWaiting(b *testing.B) {
	ctx := context.Background()
	store := NewMemoryStore()
	r := New(Config{Now: func() time.Time { return t0 }, CounselorGrace: time.Minute, Mode: ModeOffer}, store,
		chat.NewMemoryStore(func() time.Time { return t0 }))
	r.SetChat(quietChat{})
	for id := range int64(1000) {
		if err := store.Join(ctx, Member{Counselor: counselor(id+1, "es", chat.AudienceSelf), SeenAt: t0}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("waits", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Waits(ctx, nil)
		}
	})
	b.Run("round", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := r.Round(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tally", func(b *testing.B) { // what the supervisors' summary reads of the team
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.TeamTally(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("team", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Team(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
