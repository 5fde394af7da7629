package report

import (
	"reflect"
	"slices"
	"testing"
)

// These tests play the attacker: they know the policy and everything
// published, and brute-force every set of raw counts that would have been
// published exactly so. A suppressed count is protected when more than one
// value stays possible.

// candidates lists the raw counts up to limit that p publishes as fig.
func candidates(p Policy, fig Figure, limit int) []int {
	var out []int
	for n := 0; n <= limit; n++ {
		if p.count(n) == fig {
			out = append(out, n)
		}
	}
	return out
}

// enumerate calls visit with every combination of one value per list.
func enumerate(lists [][]int, visit func([]int)) {
	combo := make([]int, len(lists))
	var walk func(i int)
	walk = func(i int) {
		if i == len(lists) {
			visit(combo)
			return
		}
		for _, v := range lists[i] {
			combo[i] = v
			walk(i + 1)
		}
	}
	walk(0)
}

func sum(ns []int) int {
	s := 0
	for _, n := range ns {
		s += n
	}
	return s
}

// publishGrid publishes raw[r][c] by Category (rows) and, when there is
// more than one column, Month (columns).
func publishGrid(t *testing.T, p Policy, raw [][]int) PublishedTable {
	t.Helper()
	dims := []Dimension{Category}
	if len(raw[0]) > 1 {
		dims = append(dims, Month)
	}
	tab := mustTable(t, dims...)
	for r, row := range raw {
		for c, n := range row {
			values := []string{string(rune('a' + r))}
			if len(dims) == 2 {
				values = append(values, string(rune('m'+c)))
			}
			if err := tab.Add(n, values...); err != nil {
				t.Fatal(err)
			}
		}
	}
	pub, err := Publish(tab, p)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// possibleCells returns, for each cell of raw, every value it could have
// had: every grid whose publication is exactly the published one counts.
func possibleCells(t *testing.T, p Policy, raw [][]int) map[[2]int][]int {
	t.Helper()
	published := publishGrid(t, p, raw)
	var lists [][]int
	for r := range raw {
		for c := range raw[r] {
			lists = append(lists, candidates(p, published.Cells[r][c], 200))
		}
	}
	out := map[[2]int][]int{}
	enumerate(lists, func(flat []int) {
		grid := make([][]int, len(raw))
		for r := range raw {
			grid[r] = flat[r*len(raw[0]) : (r+1)*len(raw[0])]
		}
		if !reflect.DeepEqual(publishGrid(t, p, grid), published) {
			return
		}
		for i, v := range flat {
			key := [2]int{i / len(raw[0]), i % len(raw[0])}
			if !slices.Contains(out[key], v) {
				out[key] = append(out[key], v)
			}
		}
	})
	return out
}

// assertNoSuppressedCellPinned fails if any suppressed cell of raw can be
// narrowed to one value.
func assertNoSuppressedCellPinned(t *testing.T, p Policy, raw [][]int) {
	t.Helper()
	possible := possibleCells(t, p, raw)
	for r := range raw {
		for c, n := range raw[r] {
			got := possible[[2]int{r, c}]
			if !slices.Contains(got, n) {
				t.Fatalf("grid %v: cell %d,%d (really %d) not among %v", raw, r, c, n, got)
			}
			if p.count(n).Suppressed && len(got) < 2 {
				t.Errorf("grid %v: suppressed cell %d,%d recovered as %v", raw, r, c, got)
			}
		}
	}
}

func TestSuppressedCountIsNotRecoveredFromTotalMinusPublishedCells(t *testing.T) {
	p := DefaultPolicy()
	// Every suppressed value, beside one or two published cells of every
	// size up to 40: the total minus the others never leaves one value.
	checked := 0
	for a := 1; a < p.SuppressBelow; a++ {
		for b := p.SuppressBelow; b < p.SuppressBelow+3*p.RoundTo; b++ {
			for _, others := range [][]int{{b}, {b, 0}, {b, p.SuppressBelow}, {b, 3}} {
				var raw [][]int
				for _, n := range append([]int{a}, others...) {
					raw = append(raw, []int{n})
				}
				assertNoSuppressedCellPinned(t, p, raw)
				checked++
			}
		}
	}
	t.Logf("%d rows checked", checked)
}

// week counts of one category: week 1, weeks 2–4 together, week 5.
type weeks struct{ first, middle, last int }

func (w weeks) monthA() int      { return w.first + w.middle } // weeks 1–4
func (w weeks) monthAPrime() int { return w.middle + w.last }  // weeks 2–5

// possibleAcrossPeriods returns every value of x's count in month A
// consistent with two published tables by category (x and y, and their
// totals), one for weeks 1–4 and one for weeks 2–5, under rule. The totals
// are taken as always shown, which tells the attacker at least as much as
// Publish does when it withholds one.
func possibleAcrossPeriods(rule func(int) Figure, x, y weeks, limit int) []int {
	all := func(target weeks) []weeks {
		var out []weeks
		for f := 0; f <= limit; f++ {
			for m := 0; m <= limit; m++ {
				for l := 0; l <= limit; l++ {
					w := weeks{f, m, l}
					if rule(w.monthA()) == rule(target.monthA()) && rule(w.monthAPrime()) == rule(target.monthAPrime()) {
						out = append(out, w)
					}
				}
			}
		}
		return out
	}
	totalA, totalAPrime := rule(x.monthA()+y.monthA()), rule(x.monthAPrime()+y.monthAPrime())
	var out []int
	ys := all(y)
	for _, cx := range all(x) {
		for _, cy := range ys {
			if rule(cx.monthA()+cy.monthA()) == totalA && rule(cx.monthAPrime()+cy.monthAPrime()) == totalAPrime &&
				!slices.Contains(out, cx.monthA()) {
				out = append(out, cx.monthA())
			}
		}
	}
	return out
}

// bareThreshold is the rule national statistics left: 1–4 shown as "<5",
// everything else exact.
func bareThreshold(n int) Figure {
	if n > 0 && n < 5 {
		return Figure{Suppressed: true, Reason: ReasonSmallCount}
	}
	return Figure{Count: n}
}

func TestSuppressedCountIsNotRecoveredFromOverlappingPeriods(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		name string
		x, y weeks
	}{
		// x: 5 in weeks 1–4 (suppressed), 9 in weeks 2–5 (shown as 10).
		{"rises into view", weeks{0, 5, 4}, weeks{6, 20, 3}},
		// x: 9 in weeks 1–4 (10), 4 in weeks 2–5 (suppressed).
		{"falls out of view", weeks{5, 4, 0}, weeks{2, 14, 2}},
		{"suppressed in both", weeks{1, 3, 2}, weeks{0, 30, 1}},
		{"one contact in week 1 only", weeks{1, 0, 0}, weeks{0, 12, 0}},
		{"other category suppressed too", weeks{2, 5, 2}, weeks{0, 6, 3}},
	}
	for _, c := range cases {
		got := possibleAcrossPeriods(p.count, c.x, c.y, 30)
		if len(got) < 2 || !slices.Contains(got, c.x.monthA()) {
			t.Errorf("%s: x in weeks 1–4 (really %d) could be %v", c.name, c.x.monthA(), got)
		}
	}
	// The same attack against a bare "<5" with exact counts pins it down:
	// the reason the rule rounds everything it shows.
	x, y := weeks{0, 3, 5}, weeks{6, 20, 3} // x: 3 in weeks 1–4 (<5), 8 in weeks 2–5
	leaked := possibleAcrossPeriods(bareThreshold, x, y, 30)
	if len(leaked) != 1 || leaked[0] != 3 {
		t.Errorf("bare <5: x could be %v; expected the attack to recover exactly 3", leaked)
	}
}

// possibleUnprotected returns every value cell (0, 0) of raw could have
// had if the table were published without secondary protection.
func possibleUnprotected(t *testing.T, p Policy, raw [][]int) []int {
	t.Helper()
	build := func(grid [][]int) PublishedTable {
		tab := mustTable(t, Category, Month)
		for r, row := range grid {
			for c, n := range row {
				_ = tab.Add(n, string(rune('a'+r)), string(rune('m'+c)))
			}
		}
		return publishUnprotected(tab, p)
	}
	published := build(raw)
	var lists [][]int
	for r := range raw {
		for c := range raw[r] {
			lists = append(lists, candidates(p, published.Cells[r][c], 200))
		}
	}
	var out []int
	enumerate(lists, func(flat []int) {
		grid := make([][]int, len(raw))
		for r := range raw {
			grid[r] = flat[r*len(raw[0]) : (r+1)*len(raw[0])]
		}
		if reflect.DeepEqual(build(grid), published) && !slices.Contains(out, flat[0]) {
			out = append(out, flat[0])
		}
	})
	return out
}

func TestRowAndColumnTogetherCanPinACell(t *testing.T) {
	p := DefaultPolicy()
	// The 6 at the top left: its row (6 + 12 = 18, shown 20, beside a 10)
	// leaves 6 or 7; its column (6 + 8 + 8 = 22, shown 20, beside two 10s)
	// leaves 1 to 6. Neither total alone gives it away; together they do.
	raw := [][]int{{6, 12}, {8, 10}, {8, 10}}
	if got := possibleUnprotected(t, p, raw); !slices.Equal(got, []int{6}) {
		t.Fatalf("without protection the cell could be %v; this example expects it pinned to 6", got)
	}
	pub := publishGrid(t, p, raw)
	if pub.RowTotals[0].Reason != ReasonWithheld || pub.ColumnTotals[0].Reason != ReasonWithheld || pub.Total.Reason != ReasonWithheld {
		t.Errorf("row, column and grand totals %+v %+v %+v; want all withheld", pub.RowTotals[0], pub.ColumnTotals[0], pub.Total)
	}
	if pub.RowTotals[1] != shown(20) || pub.ColumnTotals[1] != shown(30) {
		t.Errorf("totals of lines without a suppressed cell %+v %+v; want 20 and 30", pub.RowTotals[1], pub.ColumnTotals[1])
	}
	assertNoSuppressedCellPinned(t, p, raw)
}

func TestNoSuppressedCellIsPinnedInSmallGrids(t *testing.T) {
	p := DefaultPolicy()
	grids := [][][]int{
		{{1, 8}, {8, 8}},
		{{7, 12}, {13, 2}},
		{{3, 0}, {0, 24}},
		{{1, 8, 8}, {8, 8, 13}},
		{{5, 9, 0}, {2, 25, 8}},
	}
	for _, g := range grids {
		assertNoSuppressedCellPinned(t, p, g)
	}
}
