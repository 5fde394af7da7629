package chat_test

import (
	"context"
	"testing"
	"time"

	"helpline/chat"
)

// The stores count arrivals, first joins, ends and arrivals turned away in
// the same step as the change, and the counts hold nothing but days,
// coarse answers and buckets.
func TestStoresTallyWhatHappened(t *testing.T) {
	forEachRetentionStore(t, func(t *testing.T, s retentionStore, clock *fakeClock) {
		ctx := context.Background()
		tallies := s.(chat.Tallies)
		s.(interface{ SetRegions(chat.RegionCoarsener) }).SetRegions(chat.CoarseRegions([]string{"Madrid"}))
		day := clock.Now().Format(time.DateOnly)

		answered, err := s.CreateConversation(ctx, chat.NewConversation{Audience: chat.AudienceSelf, Language: "es", Region: " madrid "})
		if err != nil {
			t.Fatal(err)
		}
		left, _ := s.CreateConversation(ctx, chat.NewConversation{Language: "en", Region: "Calle Mayor 3"})
		clock.Set(clock.Now().Add(45 * time.Second))
		if _, _, err := s.Assign(ctx, answered.ID, 7, "Ana", 3); err != nil {
			t.Fatal(err)
		}
		// A transfer and a second join are not a second answer.
		if _, _, err := s.Requeue(ctx, answered.ID, chat.RequeueTransferred, chat.PriorityReturned, "", 7); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Assign(ctx, answered.ID, 8, "Bea", 3); err != nil {
			t.Fatal(err)
		}
		clock.Set(clock.Now().Add(12 * time.Minute))
		if _, _, err := s.End(ctx, answered.ID, chat.EndedByCounselor); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.End(ctx, left.ID, chat.EndedByLeft); err != nil {
			t.Fatal(err)
		}
		if err := tallies.AddTally(ctx, chat.TurnedAway("queue_full", clock.Now())); err != nil {
			t.Fatal(err)
		}

		got, err := tallies.TallyCounts(ctx, day, day)
		if err != nil {
			t.Fatal(err)
		}
		month := day[:7] // counts come back by month
		want := map[chat.Tally]int64{
			{Day: month, Audience: chat.AudienceSelf, Language: "es", Region: "Madrid", Metric: chat.MetricArrived}:                                                           1,
			{Day: month, Language: "en", Region: chat.RegionOther, Metric: chat.MetricArrived}:                                                                                1,
			{Day: month, Audience: chat.AudienceSelf, Language: "es", Region: "Madrid", Metric: chat.MetricWait, Bucket: chat.BucketOf(chat.WaitBuckets, 45*time.Second)}:     1,
			{Day: month, Audience: chat.AudienceSelf, Language: "es", Region: "Madrid", Metric: chat.MetricEnded, Outcome: chat.OutcomeAnswered}:                              1,
			{Day: month, Audience: chat.AudienceSelf, Language: "es", Region: "Madrid", Metric: chat.MetricLength, Bucket: chat.BucketOf(chat.LengthBuckets, 12*time.Minute)}: 1,
			{Day: month, Language: "en", Region: chat.RegionOther, Metric: chat.MetricEnded, Outcome: chat.OutcomeUnanswered}:                                                 1,
			{Day: month, Language: "en", Region: chat.RegionOther, Metric: chat.MetricAbandoned, Outcome: chat.EndedByLeft,
				Bucket: chat.BucketOf(chat.WaitBuckets, 12*time.Minute+45*time.Second)}: 1,
			{Day: month, Region: chat.RegionNotGiven, Metric: chat.MetricTurnedAway, Outcome: "queue_full"}: 1,
		}
		if len(got) != len(want) {
			t.Errorf("got %d tallies, want %d: %+v", len(got), len(want), got)
		}
		for _, g := range got {
			if want[g.Tally] != g.Count {
				t.Errorf("tally %+v counted %d, want %d", g.Tally, g.Count, want[g.Tally])
			}
		}
		// Deleting a conversation keeps its counts.
		if err := s.DeleteConversation(ctx, left.ID); err != nil {
			t.Fatal(err)
		}
		if after, _ := tallies.TallyCounts(ctx, day, day); len(after) != len(want) {
			t.Errorf("after deleting a conversation, %d tallies remain, want %d", len(after), len(want))
		}
		if other, _ := tallies.TallyCounts(ctx, "2020-01-01", "2020-12-31"); len(other) != 0 {
			t.Errorf("a range without arrivals has tallies: %+v", other)
		}
	})
}
