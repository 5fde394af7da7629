package transparency

import (
	"context"
	"sync"
	"time"

	"helpline/chat"
	"helpline/counselors/feedback"
	"helpline/counselors/report"
)

// Tallies is what the report reads of the chat stores (chat.Tallies).
type Tallies interface {
	TallyCounts(ctx context.Context, from, to string) ([]chat.TallyCount, error)
}

// FeedbackCounts is what the report reads of seekers' feedback: scores
// only (feedback.Service implements it).
type FeedbackCounts interface {
	Counts(ctx context.Context, fromWeek, toWeek string) ([]feedback.Count, error)
}

// Source is a feature that adds a section to the report: escalations by
// reason and how fast they were acknowledged, referrals by kind and
// whether the partner confirmed contact, wrap-up categories. It returns raw
// anonymous counts of the period; the report applies disclosure control.
// It must count contacts, never name a person, and split by the closed set
// of report.Dimension values only.
type Source interface {
	Contribute(ctx context.Context, p Period) (Contribution, error)
}

// Contribution is a section's raw figures.
type Contribution struct {
	Section string // "escalations", "referrals", "wrapup": a key, not a title
	Tables  []RawTable
	// Durations are published as median and 90th percentile only.
	Durations []Durations
	// Shares are published as percentages (report.Percentage).
	Shares []Share
}

// RawTable is one table of raw counts. Tables of one dimension with the
// same non-empty Linked key split the same population and are protected
// together (report.ProtectLinked).
type RawTable struct {
	Key    string
	Table  *report.RawTable
	Linked string
}

// Durations is a histogram: Counts[i] took at most Bounds[i] (and more
// than Bounds[i-1]).
type Durations struct {
	Key    string
	Bounds []time.Duration
	Counts []int
}

// Share is a numerator out of a denominator, both raw counts. When Of
// names a table of the same contribution, the share is shown only while
// that table's total is: a percentage beside a withheld total would help
// work it out.
type Share struct {
	Key                    string
	Numerator, Denominator int
	Of                     string
}

// Report is a published report: every figure has been through the policy.
type Report struct {
	Period   Period         `json:"period"`
	Policy   report.Policy  `json:"policy"`
	Buckets  map[string]any `json:"buckets"`
	Sections []Section      `json:"sections"`
}

// Section is one part of the report.
type Section struct {
	Key         string        `json:"key"`
	Tables      []Table       `json:"tables"`
	Percentages []Percentage  `json:"percentages,omitempty"`
	Waits       []WaitSummary `json:"waits,omitempty"`
}

// Table is a published table with its key ("by_audience").
type Table struct {
	Key   string                `json:"key"`
	Table report.PublishedTable `json:"table"`
}

// Percentage is a published share with its key.
type Percentage struct {
	Key     string         `json:"key"`
	Percent report.Percent `json:"value"`
}

// WaitSummary is a published median and 90th percentile with its key.
type WaitSummary struct {
	Key     string       `json:"key"`
	Summary report.Waits `json:"value"`
}

// Service builds reports.
type Service struct {
	tallies  Tallies
	feedback FeedbackCounts
	policy   report.Policy

	mu      sync.Mutex
	sources []Source
}

// New returns a service reading tallies and (if not nil) feedback scores,
// publishing under policy, which must be valid.
func New(tallies Tallies, fb FeedbackCounts, policy report.Policy) (*Service, error) {
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	return &Service{tallies: tallies, feedback: fb, policy: policy}, nil
}

// AddSource adds a section; call it before the first Build.
func (s *Service) AddSource(src Source) {
	s.mu.Lock()
	s.sources = append(s.sources, src)
	s.mu.Unlock()
}

// Policy is the disclosure rule reports are published with.
func (s *Service) Policy() report.Policy { return s.policy }

// Build makes the report of p.
func (s *Service) Build(ctx context.Context, p Period) (Report, error) {
	tallies, err := s.tallies.TallyCounts(ctx, p.FromDay(), p.ToDay())
	if err != nil {
		return Report{}, err
	}
	contributions := coreContributions(tallies)
	if s.feedback != nil {
		from, to := p.Weeks()
		counts, err := s.feedback.Counts(ctx, from, to)
		if err != nil {
			return Report{}, err
		}
		contributions = append(contributions, feedbackContribution(counts))
	}
	s.mu.Lock()
	sources := append([]Source(nil), s.sources...)
	s.mu.Unlock()
	for _, src := range sources {
		c, err := src.Contribute(ctx, p)
		if err != nil {
			return Report{}, err
		}
		contributions = append(contributions, c)
	}
	out := Report{Period: p, Policy: s.policy, Buckets: map[string]any{
		"wait_seconds": seconds(chat.WaitBuckets), "length_seconds": seconds(chat.LengthBuckets)}}
	for _, c := range contributions {
		sec, err := publish(c, s.policy)
		if err != nil {
			return Report{}, err
		}
		out.Sections = append(out.Sections, sec)
	}
	return out, nil
}

func seconds(ds []time.Duration) []int {
	out := make([]int, len(ds))
	for i, d := range ds {
		out[i] = int(d / time.Second)
	}
	return out
}

// publish applies the policy to one contribution.
func publish(c Contribution, p report.Policy) (Section, error) {
	sec := Section{Key: c.Section, Tables: []Table{}}
	for _, t := range c.Tables {
		pub, err := report.Publish(t.Table, p)
		if err != nil {
			return Section{}, err
		}
		sec.Tables = append(sec.Tables, Table{Key: t.Key, Table: pub})
	}
	groups := map[string][]*report.PublishedTable{}
	var order []string
	for i, t := range c.Tables {
		if t.Linked == "" {
			continue
		}
		if _, ok := groups[t.Linked]; !ok {
			order = append(order, t.Linked)
		}
		groups[t.Linked] = append(groups[t.Linked], &sec.Tables[i].Table)
	}
	for _, g := range order {
		report.ProtectLinked(groups[g]...)
	}
	for _, sh := range c.Shares {
		pct, err := report.Percentage(sh.Numerator, sh.Denominator, p)
		if err != nil {
			return Section{}, err
		}
		if sh.Of != "" && totalHidden(sec.Tables, sh.Of) {
			pct = report.Percent{Suppressed: true, Reason: report.ReasonWithheld}
		}
		sec.Percentages = append(sec.Percentages, Percentage{Key: sh.Key, Percent: pct})
	}
	for _, d := range c.Durations {
		w, err := report.SummariseHistogram(d.Bounds, d.Counts, p)
		if err != nil {
			return Section{}, err
		}
		sec.Waits = append(sec.Waits, WaitSummary{Key: d.Key, Summary: w})
	}
	return sec, nil
}

// totalHidden reports whether the table key has no shown total (or does
// not exist).
func totalHidden(tables []Table, key string) bool {
	for _, t := range tables {
		if t.Key == key {
			return t.Table.Total.Suppressed
		}
	}
	return true
}
