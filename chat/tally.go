package chat

import (
	"context"
	"sort"
	"strings"
	"time"
)

// Tally is one anonymous count the transparency report is made from. The
// stores add tallies in the same transaction as the state change they
// count (CreateConversation, the first Assign, End), so a report never
// reads conversations or messages and never disagrees with what happened.
// Nothing in a tally can point to a person: the day of arrival, the
// seeker's own coarse answers, and a bucket of a duration.
type Tally struct {
	Day      string // YYYY-MM-DD (UTC) the conversation arrived, or the arrival was turned away
	Audience Audience
	Language string
	Region   string // coarse: a configured region, RegionOther or RegionNotGiven
	Metric   string // Metric* below
	Outcome  string // what the metric says the outcome was (see each metric)
	Bucket   int    // index into WaitBuckets or LengthBuckets, else 0
}

// TallyCount is a tally and how many times it was added.
type TallyCount struct {
	Tally
	Count int64
}

// Metrics a tally may count.
const (
	// MetricArrived: a conversation started. Outcome and Bucket unused.
	MetricArrived = "arrived"
	// MetricWait: a conversation's first counsellor joined; Bucket is the
	// WaitBuckets index of the wait since arrival.
	MetricWait = "wait"
	// MetricEnded: a conversation ended; Outcome is OutcomeAnswered or
	// OutcomeUnanswered.
	MetricEnded = "ended"
	// MetricLength: an answered conversation ended; Bucket is the
	// LengthBuckets index of the time from the first join to the end.
	MetricLength = "length"
	// MetricAbandoned: an unanswered conversation ended; Outcome is who
	// ended it (an EndedBy value), Bucket the WaitBuckets index of how long
	// the seeker had waited.
	MetricAbandoned = "abandoned"
	// MetricTurnedAway: an arrival was refused; Outcome is the ClosedError
	// reason ("hours", "queue_full", "no_counselor"). Audience, language
	// and region are unknown (empty and RegionNotGiven).
	MetricTurnedAway = "turned_away"
)

// Outcomes of MetricEnded.
const (
	OutcomeAnswered   = "answered"
	OutcomeUnanswered = "unanswered"
)

// Coarse region values besides the configured ones.
const (
	RegionNotGiven = "not_given"
	RegionOther    = "other"
)

// WaitBuckets are the upper bounds of the wait histogram: bucket i holds
// waits above WaitBuckets[i-1] and at most WaitBuckets[i]; the last bucket
// holds everything longer than the last bound but one.
var WaitBuckets = []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 3 * time.Minute, 5 * time.Minute,
	7*time.Minute + 30*time.Second, 10 * time.Minute, 15 * time.Minute, 20 * time.Minute, 30 * time.Minute,
	45 * time.Minute, time.Hour, 90 * time.Minute, 2 * time.Hour, 4 * time.Hour,
}

// LengthBuckets are the upper bounds of the conversation length histogram.
var LengthBuckets = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 20 * time.Minute,
	30 * time.Minute, 45 * time.Minute, time.Hour, 90 * time.Minute, 2 * time.Hour, 3 * time.Hour, 8 * time.Hour,
}

// BucketOf is the index of the bucket of bounds that holds d.
func BucketOf(bounds []time.Duration, d time.Duration) int {
	i := sort.Search(len(bounds), func(i int) bool { return d <= bounds[i] })
	return min(i, len(bounds)-1)
}

// Tallies is the door the transparency report reads through, and the one
// an arrival turned away is counted through (it changes no conversation).
// Both stores implement it.
type Tallies interface {
	// AddTally adds one tally on its own (MetricTurnedAway).
	AddTally(ctx context.Context, t Tally) error
	// TallyCounts returns the tallies of the days from..to (YYYY-MM-DD,
	// both included), summed over each calendar month: a TallyCount's Day
	// is its month (YYYY-MM). In no particular order.
	TallyCounts(ctx context.Context, from, to string) ([]TallyCount, error)
}

// RegionCoarsener maps a seeker's free-text region to a coarse value. The
// stores keep only its answer; the free text stays with the conversation.
type RegionCoarsener func(region string) string

// CoarseRegions returns the coarsener that keeps a region only when it is
// one of regions (compared without case or surrounding space), as the
// configured spelling; anything else is RegionOther, and nothing given is
// RegionNotGiven. With no regions every answer is RegionOther.
func CoarseRegions(regions []string) RegionCoarsener {
	known := map[string]string{}
	for _, r := range regions {
		if r = strings.TrimSpace(r); r != "" {
			known[strings.ToLower(r)] = r
		}
	}
	return func(region string) string {
		region = strings.ToLower(strings.TrimSpace(region))
		if region == "" {
			return RegionNotGiven
		}
		if r, ok := known[region]; ok {
			return r
		}
		return RegionOther
	}
}

func tallyBase(c Conversation, coarse RegionCoarsener) Tally {
	if coarse == nil {
		coarse = CoarseRegions(nil)
	}
	return Tally{Day: c.CreatedAt.UTC().Format(time.DateOnly), Audience: c.Audience, Language: c.Language, Region: coarse(c.Region)}
}

// arrivalTallies are counted when c is created.
func arrivalTallies(c Conversation, coarse RegionCoarsener) []Tally {
	t := tallyBase(c, coarse)
	t.Metric = MetricArrived
	return []Tally{t}
}

// joinTallies are counted when a counsellor joins c at now; only the first
// join of a conversation counts (firstJoin).
func joinTallies(c Conversation, now time.Time, firstJoin bool, coarse RegionCoarsener) []Tally {
	if !firstJoin {
		return nil
	}
	t := tallyBase(c, coarse)
	t.Metric, t.Bucket = MetricWait, BucketOf(WaitBuckets, now.Sub(c.CreatedAt))
	return []Tally{t}
}

// endTallies are counted when c ends; firstJoinedAt is when its first
// counsellor joined (zero if none did).
func endTallies(c Conversation, firstJoinedAt time.Time, coarse RegionCoarsener) []Tally {
	base := tallyBase(c, coarse)
	ended, detail := base, base
	ended.Metric = MetricEnded
	if firstJoinedAt.IsZero() {
		ended.Outcome = OutcomeUnanswered
		detail.Metric, detail.Outcome = MetricAbandoned, c.EndedBy
		detail.Bucket = BucketOf(WaitBuckets, c.EndedAt.Sub(c.CreatedAt))
	} else {
		ended.Outcome = OutcomeAnswered
		detail.Metric, detail.Bucket = MetricLength, BucketOf(LengthBuckets, c.EndedAt.Sub(firstJoinedAt))
	}
	return []Tally{ended, detail}
}

// TurnedAway is the tally of an arrival refused at now for reason.
func TurnedAway(reason string, now time.Time) Tally {
	return Tally{Day: now.UTC().Format(time.DateOnly), Region: RegionNotGiven, Metric: MetricTurnedAway, Outcome: reason}
}

// sortTallies orders tallies so that every transaction takes their rows'
// locks in the same order.
func sortTallies(ts []Tally) {
	sort.Slice(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		ka := [6]string{a.Day, string(a.Audience), a.Language, a.Region, a.Metric, a.Outcome}
		kb := [6]string{b.Day, string(b.Audience), b.Language, b.Region, b.Metric, b.Outcome}
		if ka != kb {
			return strings.Join(ka[:], "\x00") < strings.Join(kb[:], "\x00")
		}
		return a.Bucket < b.Bucket
	})
}
