package transparency

import (
	"context"
	"slices"
	"strconv"
	"time"

	"helpline/counselors/report"
)

// Breakdown is one table of a ProfileSource: how the population splits by
// one field of the counts.
type Breakdown struct {
	Field     string // the counts' field, and the table's key
	Dimension report.Dimension
	Values    []string // shown in this order, 0 when none (others as they come)
	// Rest, when set, is the value under which the part of the population
	// this field does not count yet is shown (e.g. "pending"), so that the
	// table splits the whole population like the others.
	Rest string
}

// Histogram is a field whose values are bucket indexes (decimal) of
// Bounds, published as median and 90th percentile.
type Histogram struct {
	Field  string
	Bounds []time.Duration
}

// Proportion is the share of the population that has Value for Field,
// shown only while that field's table shows its total.
type Proportion struct {
	Key, Field, Value string
}

// ProfileSource makes a section that describes one population of counted
// things (the escalations raised in the period, say): a table per
// breakdown, all linked (the first breakdown's total is the population,
// and every table splits it, so a cell withheld in one cannot be worked
// out from another), durations from histograms and shares. counts returns
// the raw counts of [from, to) as FieldCounts.
func ProfileSource(section string, breakdowns []Breakdown, histograms []Histogram, shares []Proportion, counts FieldCounts) Source {
	return profileSource{section, breakdowns, histograms, shares, counts}
}

type profileSource struct {
	section    string
	breakdowns []Breakdown
	histograms []Histogram
	shares     []Proportion
	counts     FieldCounts
}

func (s profileSource) Contribute(ctx context.Context, p Period) (Contribution, error) {
	list, err := s.counts(ctx, p.From, p.To.AddDate(0, 0, 1)) // the period's last day included
	if err != nil {
		return Contribution{}, err
	}
	sums := map[string]map[string]int{}
	for _, c := range list {
		if sums[c.Field] == nil {
			sums[c.Field] = map[string]int{}
		}
		sums[c.Field][c.Value] += int(c.N)
	}
	out := Contribution{Section: s.section}
	population := 0
	for i, b := range s.breakdowns {
		t := mustTable(b.Dimension)
		for _, v := range b.Values {
			t.Add(0, v)
		}
		counted := 0
		for _, v := range sortedKeys(sums[b.Field], b.Values) {
			n := sums[b.Field][v]
			t.Add(n, v)
			counted += n
		}
		if i == 0 {
			population = counted
		}
		if b.Rest != "" {
			t.Add(max(population-counted, 0), b.Rest)
		}
		out.Tables = append(out.Tables, RawTable{Key: b.Field, Table: t, Linked: s.section})
	}
	for _, h := range s.histograms {
		buckets := make([]int, len(h.Bounds))
		for v, n := range sums[h.Field] {
			if i, err := strconv.Atoi(v); err == nil {
				addBucket(buckets, i, n)
			}
		}
		out.Durations = append(out.Durations, Durations{Key: h.Field, Bounds: h.Bounds, Counts: buckets})
	}
	for _, sh := range s.shares {
		out.Shares = append(out.Shares, Share{Key: sh.Key, Numerator: sums[sh.Field][sh.Value], Denominator: population, Of: sh.Field})
	}
	return out, nil
}

// sortedKeys lists the values of m: first those of known, in order, then
// the others sorted, so that the report does not change with map order.
func sortedKeys(m map[string]int, known []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, v := range known {
		if _, ok := m[v]; ok {
			out = append(out, v)
		}
		seen[v] = true
	}
	var rest []string
	for v := range m {
		if !seen[v] {
			rest = append(rest, v)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}
