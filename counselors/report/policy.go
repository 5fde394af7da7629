package report

import (
	"errors"
	"fmt"
)

// Policy holds the disclosure-control thresholds. Every figure a report
// publishes goes through one Policy; DefaultPolicy is the rule the service
// publishes with unless a tenant configures a stricter one.
type Policy struct {
	// SuppressBelow: counts from 1 to SuppressBelow-1 are not shown.
	SuppressBelow int `json:"suppress_below"`
	// RoundTo: every shown count (cells and totals) is rounded to the
	// nearest multiple of RoundTo, halves up.
	RoundTo int `json:"round_to"`
	// MinDenominator: no percentage is shown over fewer than this many, and
	// no median or 90th percentile over fewer observations.
	MinDenominator int `json:"min_denominator"`
}

// DefaultPolicy is the NHS-style rule: 1–7 suppressed, everything else
// rounded to 5, no percentage or percentile over fewer than 25.
func DefaultPolicy() Policy {
	return Policy{SuppressBelow: 8, RoundTo: 5, MinDenominator: 25}
}

// Bounds that keep a configured policy protective. A tenant may be stricter
// than the default, never so lax that the rule stops meaning anything.
const (
	minSuppressBelow = 3    // the laxest threshold official statisticians use
	minRoundTo       = 3    // rounding to 1 or 2 gives differencing back
	maxThreshold     = 1000 // beyond this a report says nothing at all
)

// Validate says what is wrong with a policy, in terms an admin can act on.
func (p Policy) Validate() error {
	var errs []error
	if p.SuppressBelow < minSuppressBelow || p.SuppressBelow > maxThreshold {
		errs = append(errs, fmt.Errorf("suppress_below is %d; set it between %d and %d (default 8)",
			p.SuppressBelow, minSuppressBelow, maxThreshold))
	}
	if p.RoundTo < minRoundTo || p.RoundTo > maxThreshold {
		errs = append(errs, fmt.Errorf("round_to is %d; set it between %d and %d (default 5)",
			p.RoundTo, minRoundTo, maxThreshold))
	} else if p.SuppressBelow < (p.RoundTo+1)/2 {
		// Otherwise a shown count could round to 0 and read as a true zero.
		errs = append(errs, fmt.Errorf("round_to %d is more than twice suppress_below %d, so a shown count could round to 0; lower round_to or raise suppress_below",
			p.RoundTo, p.SuppressBelow))
	}
	if p.MinDenominator < p.SuppressBelow || p.MinDenominator > maxThreshold {
		errs = append(errs, fmt.Errorf("min_denominator is %d; set it between suppress_below (%d) and %d (default 25)",
			p.MinDenominator, p.SuppressBelow, maxThreshold))
	}
	return errors.Join(errs...)
}

// Reason says why a figure is not shown.
type Reason string

const (
	// ReasonSmallCount: a count from 1 to SuppressBelow-1.
	ReasonSmallCount Reason = "small_count"
	// ReasonSmallDenominator: a percentage over fewer than MinDenominator.
	ReasonSmallDenominator Reason = "small_denominator"
	// ReasonSmallNumerator: a percentage whose numerator, or the rest of its
	// denominator, is a suppressed count; showing it would give the count
	// back (3 of 30 is 10%, and 30 is shown).
	ReasonSmallNumerator Reason = "small_numerator"
	// ReasonFewObservations: a median or percentile over fewer than
	// MinDenominator observations.
	ReasonFewObservations Reason = "few_observations"
)

// Figure is one published count: either a rounded count or suppressed, with
// the reason. Count is 0 when Suppressed.
type Figure struct {
	Count      int    `json:"count"`
	Suppressed bool   `json:"suppressed,omitempty"`
	Reason     Reason `json:"reason,omitempty"`
}

// count applies the rule to one raw count. A true zero stays zero (see
// doc.go for why it is not disclosive here).
func (p Policy) count(raw int) Figure {
	switch {
	case raw == 0:
		return Figure{}
	case raw < p.SuppressBelow:
		return Figure{Suppressed: true, Reason: ReasonSmallCount}
	default:
		return Figure{Count: p.round(raw)}
	}
}

// round rounds to the nearest multiple of RoundTo, halves up (only an even
// RoundTo has halves).
func (p Policy) round(n int) int {
	return (n + p.RoundTo/2) / p.RoundTo * p.RoundTo
}

// Count publishes one raw count on its own under p.
func (p Policy) Count(raw int) (Figure, error) {
	if err := p.Validate(); err != nil {
		return Figure{}, err
	}
	if raw < 0 {
		return Figure{}, fmt.Errorf("count %d is negative; counts start at 0", raw)
	}
	return p.count(raw), nil
}
