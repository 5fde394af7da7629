package report

// ReasonWithheld marks a total withheld by secondary protection: shown,
// it would let a suppressed count be worked out by subtraction.
const ReasonWithheld Reason = "withheld_total"

// bounds is the range of raw counts an attacker can tell a figure stands
// for, knowing the policy.
type bounds struct{ lo, hi int }

// rawBounds is the range of raw counts that p publishes as fig. Rounding
// to the nearest RoundTo leaves a range RoundTo wide, cut at SuppressBelow
// from below: a shown count is never a suppressed one.
func (p Policy) rawBounds(fig Figure) bounds {
	switch {
	case fig.Suppressed:
		return bounds{1, p.SuppressBelow - 1}
	case fig.Count == 0:
		return bounds{0, 0}
	default:
		return bounds{max(p.SuppressBelow, fig.Count-p.RoundTo/2), fig.Count + (p.RoundTo-1)/2}
	}
}

// protect withholds the totals that could give a suppressed cell away.
//
// Every decision depends only on the published cells, never on the raw
// total: a total withheld only when it would pin a cell would itself tell
// the attacker that the cell sits at the edge of its range.
func (t *PublishedTable) protect() {
	if len(t.Dimensions) == 1 {
		cells := make([]Figure, len(t.Cells))
		for r := range t.Cells {
			cells[r] = t.Cells[r][0]
		}
		if t.Policy.someTotalPins(cells) {
			t.Total = withheld()
		}
		return
	}
	t.protectTwoDimensions()
}

// protectTwoDimensions withholds the row and column totals of every line
// holding a suppressed cell, and the grand total when any cell is
// suppressed. A suppressed cell then appears in no published sum, so
// nothing but its own figure constrains it. Checking lines one at a time
// would not do: a row and a column, each harmless alone, can together
// narrow a cell to one value (TestRowAndColumnTogetherCanPinACell).
func (t *PublishedTable) protectTwoDimensions() {
	anySuppressed := false
	for r := range t.Cells {
		for c, fig := range t.Cells[r] {
			if fig.Suppressed {
				anySuppressed = true
				t.RowTotals[r], t.ColumnTotals[c] = withheld(), withheld()
			}
		}
	}
	if anySuppressed {
		t.Total = withheld()
	}
}

func withheld() Figure { return Figure{Suppressed: true, Reason: ReasonWithheld} }

// someTotalPins reports whether, for some raw total the cells allow, the
// published total minus the other cells would narrow a suppressed cell to
// a single value. For one sum of cells whose ranges are whole intervals
// this is exact: what the total allows a cell is itself an interval.
func (p Policy) someTotalPins(cells []Figure) bool {
	b := make([]bounds, len(cells))
	var sum bounds
	for i, fig := range cells {
		b[i] = p.rawBounds(fig)
		sum.lo, sum.hi = sum.lo+b[i].lo, sum.hi+b[i].hi
	}
	for total := sum.lo; total <= sum.hi; total++ {
		tb := p.rawBounds(p.count(total))
		for i, fig := range cells {
			if !fig.Suppressed {
				continue
			}
			othersLo, othersHi := sum.lo-b[i].lo, sum.hi-b[i].hi
			lo, hi := max(b[i].lo, tb.lo-othersHi), min(b[i].hi, tb.hi-othersLo)
			if lo == hi {
				return true
			}
		}
	}
	return false
}
