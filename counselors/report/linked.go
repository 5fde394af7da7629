package report

// ReasonComplementary marks a count withheld although it is not small:
// shown, it would let a suppressed count in a table linked to this one be
// worked out (see ProtectLinked).
const ReasonComplementary Reason = "complementary"

// unbounded stands for "no upper bound known" in a range of raw counts.
const unbounded = 1 << 40

// ProtectLinked protects tables of one dimension each that split the same
// population, so that their totals are the same raw number (contacts by
// audience, by language, by region and by month, say). Each table alone
// is protected by Publish; together they are not: one table's cells add
// up to the total another table withholds, and a table of a single cell
// is the total. So:
//
//   - when any of the tables withholds its total or suppresses a cell, all
//     of them withhold their total;
//   - the range of the common total the published cells of all the tables
//     allow is worked out; when in some table that range would pin a
//     suppressed cell to one value, the smallest shown count of that table
//     is withheld (ReasonComplementary), and so is the smallest shown count
//     of every other table that still bounds the total from above, until
//     no cell is pinned (or nothing is left to withhold: a table whose
//     every cell is suppressed keeps what it has).
//
// As in Publish, every decision depends on published figures only. The
// test is exact: the tables share nothing but their total, so the totals
// the published cells allow are the intersection of each table's range.
func ProtectLinked(tables ...*PublishedTable) {
	for _, t := range tables {
		if len(t.Dimensions) != 1 {
			panic("report: ProtectLinked takes tables of one dimension")
		}
	}
	anyHidden := false
	for _, t := range tables {
		anyHidden = anyHidden || t.Total.Suppressed || t.hasSuppressedCell()
	}
	if !anyHidden {
		return
	}
	for _, t := range tables {
		t.Total = withheld()
	}
	for {
		total := bounds{0, unbounded}
		for _, t := range tables {
			s := t.cellSum()
			total.lo, total.hi = max(total.lo, s.lo), min(total.hi, s.hi)
		}
		changed := false
		for i, t := range tables {
			if !t.pinnedBy(total) {
				continue
			}
			// Widen both sides of the sum that pins it: this table's other
			// cells, and the common total every other table bounds.
			if t.withholdSmallestShown() {
				changed = true
			}
			for j, other := range tables {
				if j != i && other.cellSum().hi < unbounded && other.withholdSmallestShown() {
					changed = true
				}
			}
		}
		if !changed {
			return
		}
	}
}

func (t *PublishedTable) hasSuppressedCell() bool {
	for r := range t.Cells {
		if t.Cells[r][0].Suppressed {
			return true
		}
	}
	return false
}

// linkedBounds is rawBounds, with a count withheld for a linked table
// known only to be at least SuppressBelow.
func (p Policy) linkedBounds(f Figure) bounds {
	if f.Reason == ReasonComplementary {
		return bounds{p.SuppressBelow, unbounded}
	}
	return p.rawBounds(f)
}

func (t *PublishedTable) cellSum() bounds {
	var s bounds
	for r := range t.Cells {
		b := t.Policy.linkedBounds(t.Cells[r][0])
		s.lo, s.hi = s.lo+b.lo, min(s.hi+b.hi, unbounded)
	}
	return s
}

// pinnedBy reports whether a total in the range total narrows one of the
// table's small suppressed counts to a single value.
func (t *PublishedTable) pinnedBy(total bounds) bool {
	sum := t.cellSum()
	for r := range t.Cells {
		f := t.Cells[r][0]
		if !f.Suppressed || f.Reason != ReasonSmallCount {
			continue
		}
		b := t.Policy.linkedBounds(f)
		othersLo, othersHi := sum.lo-b.lo, sum.hi-b.hi
		lo, hi := max(b.lo, total.lo-othersHi), min(b.hi, total.hi-othersLo)
		if lo >= hi {
			return true
		}
	}
	return false
}

// withholdSmallestShown withholds the smallest shown non-zero count; it
// reports false when none is left.
func (t *PublishedTable) withholdSmallestShown() bool {
	best := -1
	for r := range t.Cells {
		f := t.Cells[r][0]
		if !f.Suppressed && f.Count > 0 && (best < 0 || f.Count < t.Cells[best][0].Count) {
			best = r
		}
	}
	if best < 0 {
		return false
	}
	t.Cells[best][0] = Figure{Suppressed: true, Reason: ReasonComplementary}
	return true
}
