package report

import (
	"fmt"
	"time"
)

// SummariseHistogram publishes the median and 90th percentile of waits kept
// as a histogram rather than one by one: counts[i] waits were above
// bounds[i-1] and at most bounds[i] (the last bucket holds the rest). A
// percentile is the upper bound of the bucket holding its nearest rank, so
// it reads "at most": a 3-minute median means half waited 3 minutes or
// less. The rule is SummariseWaits': the count by the count rule, and no
// percentile over fewer than MinDenominator observations.
func SummariseHistogram(bounds []time.Duration, counts []int, p Policy) (Waits, error) {
	if err := p.Validate(); err != nil {
		return Waits{}, err
	}
	if len(bounds) != len(counts) || len(bounds) == 0 {
		return Waits{}, fmt.Errorf("report: %d bucket bounds for %d counts; give one bound per bucket", len(bounds), len(counts))
	}
	n := 0
	for _, c := range counts {
		if c < 0 {
			return Waits{}, fmt.Errorf("report: a bucket holds %d; counts start at 0", c)
		}
		n += c
	}
	out := Waits{Count: p.count(n)}
	if n < p.MinDenominator {
		out.Suppressed, out.Reason = true, ReasonFewObservations
		return out, nil
	}
	out.MedianSeconds = wholeSeconds(bucketOfRank(bounds, counts, (50*n+99)/100))
	out.P90Seconds = wholeSeconds(bucketOfRank(bounds, counts, (90*n+99)/100))
	return out, nil
}

// bucketOfRank is the upper bound of the bucket holding the rank-th
// smallest observation (1-based).
func bucketOfRank(bounds []time.Duration, counts []int, rank int) time.Duration {
	seen := 0
	for i, c := range counts {
		seen += c
		if seen >= max(rank, 1) {
			return bounds[i]
		}
	}
	return bounds[len(bounds)-1]
}
