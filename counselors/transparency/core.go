package transparency

import (
	"strconv"

	"helpline/chat"
	"helpline/counselors/feedback"
	"helpline/counselors/report"
)

// NotGiven is the value of a dimension the seeker chose not to answer.
const NotGiven = "not_given"

// Outcomes of a contact, as the report names them.
const (
	OutcomeAnswered       = "answered"
	OutcomeLeftQueue      = "left_queue"        // the seeker ended it while waiting
	OutcomeQuickExit      = "quick_exit"        // the seeker used quick exit while waiting
	OutcomeDidNotComeBack = "did_not_come_back" // left the queue and did not come back in time
	OutcomeClosed         = "closed"            // closed by the service or staff before anyone joined
	OutcomeNotEnded       = "not_ended"         // still open when the report was made
)

var outcomeOrder = []string{OutcomeAnswered, OutcomeLeftQueue, OutcomeQuickExit, OutcomeDidNotComeBack, OutcomeClosed, OutcomeNotEnded}

// Reasons an arrival was turned away (chat.ClosedError reasons).
var turnedAwayOrder = []string{"hours", "queue_full", "no_counselor"}

func orNotGiven(s string) string {
	if s == "" {
		return NotGiven
	}
	return s
}

func abandonedOutcome(endedBy string) string {
	switch endedBy {
	case chat.EndedBySeeker:
		return OutcomeLeftQueue
	case chat.EndedByLeft:
		return OutcomeQuickExit
	case chat.EndedByAbandoned:
		return OutcomeDidNotComeBack
	}
	return OutcomeClosed
}

func mustTable(dims ...report.Dimension) *report.RawTable {
	t, err := report.NewRawTable(dims...)
	if err != nil {
		panic(err) // the dimensions are constants of this file
	}
	return t
}

// coreContributions turns the chat tallies into the contacts section and
// the unmet demand section.
func coreContributions(tallies []chat.TallyCount) []Contribution {
	audience, language, region, month := mustTable(report.Audience), mustTable(report.Language), mustTable(report.Region), mustTable(report.Month)
	outcome, turned := mustTable(report.Outcome), mustTable(report.ReasonDim)
	for _, a := range chat.Audiences {
		audience.Add(0, string(a))
	}
	audience.Add(0, NotGiven)
	for _, o := range outcomeOrder {
		outcome.Add(0, o)
	}
	for _, r := range turnedAwayOrder {
		turned.Add(0, r)
	}
	waits := make([]int, len(chat.WaitBuckets))
	lengths := make([]int, len(chat.LengthBuckets))
	abandonedWaits := make([]int, len(chat.WaitBuckets))
	arrived, ended, answered := 0, 0, 0
	for _, tc := range tallies {
		n := int(tc.Count)
		switch tc.Metric {
		case chat.MetricArrived:
			arrived += n
			audience.Add(n, orNotGiven(string(tc.Audience)))
			language.Add(n, orNotGiven(tc.Language))
			region.Add(n, orNotGiven(tc.Region))
			month.Add(n, tc.Day[:7])
		case chat.MetricEnded:
			ended += n
			if tc.Outcome == chat.OutcomeAnswered {
				answered += n
				outcome.Add(n, OutcomeAnswered)
			}
		case chat.MetricAbandoned:
			outcome.Add(n, abandonedOutcome(tc.Outcome))
			addBucket(abandonedWaits, tc.Bucket, n)
		case chat.MetricWait:
			addBucket(waits, tc.Bucket, n)
		case chat.MetricLength:
			addBucket(lengths, tc.Bucket, n)
		case chat.MetricTurnedAway:
			turned.Add(n, orNotGiven(tc.Outcome))
		}
	}
	outcome.Add(max(arrived-ended, 0), OutcomeNotEnded)
	contacts := Contribution{Section: "contacts",
		Tables: []RawTable{
			{Key: "by_audience", Table: audience, Linked: "contacts"},
			{Key: "by_language", Table: language, Linked: "contacts"},
			{Key: "by_region", Table: region, Linked: "contacts"},
			{Key: "by_month", Table: month, Linked: "contacts"},
			{Key: "by_outcome", Table: outcome, Linked: "contacts"},
		},
		Shares: []Share{{Key: "answered", Numerator: answered, Denominator: arrived, Of: "by_outcome"}},
		Durations: []Durations{
			{Key: "wait", Bounds: chat.WaitBuckets, Counts: waits},
			{Key: "length", Bounds: chat.LengthBuckets, Counts: lengths},
			{Key: "wait_before_leaving", Bounds: chat.WaitBuckets, Counts: abandonedWaits},
		},
	}
	unmet := Contribution{Section: "unmet_demand", Tables: []RawTable{{Key: "turned_away_by_reason", Table: turned}}}
	return []Contribution{contacts, unmet}
}

func addBucket(counts []int, bucket, n int) {
	if bucket >= 0 && bucket < len(counts) {
		counts[bucket] += n
	}
}

// feedbackContribution is the feedback section: the answers to each
// question, and the share who found the conversation quite or very helpful.
func feedbackContribution(counts []feedback.Count) Contribution {
	helpful, feeling := mustTable(report.Outcome), mustTable(report.Outcome)
	for v := 1; v <= feedback.MaxHelpful; v++ {
		helpful.Add(0, strconv.Itoa(v))
	}
	for v := 1; v <= feedback.MaxFeeling; v++ {
		feeling.Add(0, strconv.Itoa(v))
	}
	helped, answeredHelpful, better, answeredFeeling := 0, 0, 0, 0
	for _, c := range counts {
		n := int(c.N)
		switch c.Question {
		case feedback.QuestionHelpful:
			helpful.Add(n, strconv.Itoa(c.Value))
			answeredHelpful += n
			if c.Value >= 3 {
				helped += n
			}
		case feedback.QuestionFeeling:
			feeling.Add(n, strconv.Itoa(c.Value))
			answeredFeeling += n
			if c.Value >= 4 {
				better += n
			}
		}
	}
	return Contribution{Section: "feedback",
		Tables: []RawTable{{Key: "helpful", Table: helpful}, {Key: "feeling", Table: feeling}},
		Shares: []Share{{Key: "helped", Numerator: helped, Denominator: answeredHelpful, Of: "helpful"},
			{Key: "feel_better", Numerator: better, Denominator: answeredFeeling, Of: "feeling"}},
	}
}
