package report

import (
	"fmt"
	"slices"
	"time"
)

// Percent is a published percentage: a whole percent, or suppressed with
// the reason.
type Percent struct {
	Value      int    `json:"percent"`
	Suppressed bool   `json:"suppressed,omitempty"`
	Reason     Reason `json:"reason,omitempty"`
}

// Percentage publishes numerator/denominator as a whole percent (halves
// up), computed from the raw counts. It is suppressed when the denominator
// is under MinDenominator, and also when the numerator or the rest of the
// denominator is a count the policy suppresses: the percentage and the
// published denominator would otherwise give that count back.
func Percentage(numerator, denominator int, p Policy) (Percent, error) {
	if err := p.Validate(); err != nil {
		return Percent{}, err
	}
	if numerator < 0 || numerator > denominator {
		return Percent{}, fmt.Errorf("report: %d of %d is not a share; the numerator must be between 0 and the denominator", numerator, denominator)
	}
	if denominator < p.MinDenominator {
		return Percent{Suppressed: true, Reason: ReasonSmallDenominator}, nil
	}
	if p.count(numerator).Suppressed || p.count(denominator-numerator).Suppressed {
		return Percent{Suppressed: true, Reason: ReasonSmallNumerator}, nil
	}
	return Percent{Value: (200*numerator + denominator) / (2 * denominator)}, nil
}

// Waits is the published summary of a group of waiting times: how many
// (by the count rule), and the median and 90th percentile in whole seconds
// when the group has at least MinDenominator observations.
type Waits struct {
	Count         Figure `json:"count"`
	MedianSeconds int    `json:"median_seconds"`
	P90Seconds    int    `json:"p90_seconds"`
	Suppressed    bool   `json:"suppressed,omitempty"`
	Reason        Reason `json:"reason,omitempty"`
}

// SummariseWaits publishes the median and 90th percentile of the waits
// (nearest rank: the smallest observation with at least that share of the
// group at or below it), rounded to whole seconds.
func SummariseWaits(waits []time.Duration, p Policy) (Waits, error) {
	if err := p.Validate(); err != nil {
		return Waits{}, err
	}
	out := Waits{Count: p.count(len(waits))}
	if len(waits) < p.MinDenominator {
		out.Suppressed, out.Reason = true, ReasonFewObservations
		return out, nil
	}
	sorted := slices.Clone(waits)
	slices.Sort(sorted)
	out.MedianSeconds = wholeSeconds(nearestRank(sorted, 50))
	out.P90Seconds = wholeSeconds(nearestRank(sorted, 90))
	return out, nil
}

// nearestRank returns the ceil(pct/100·n)-th smallest of sorted (1-based).
func nearestRank(sorted []time.Duration, pct int) time.Duration {
	rank := (pct*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func wholeSeconds(d time.Duration) int {
	return int(d.Round(time.Second) / time.Second)
}
