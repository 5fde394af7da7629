package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func suppressed() Figure { return Figure{Suppressed: true, Reason: ReasonSmallCount} }
func shown(n int) Figure { return Figure{Count: n} }

func TestOneDimensionTotalIsFromRawCounts(t *testing.T) {
	cases := []struct {
		name  string
		raw   []int
		cells []Figure
		total Figure
	}{
		// 3 + 4 + 4 = 11 → 10, although every cell is suppressed.
		{"suppressed cells, shown total", []int{3, 4, 4}, []Figure{suppressed(), suppressed(), suppressed()}, shown(10)},
		// 12 + 12 + 12 = 36 → 35; the rounded cells would sum to 30.
		{"not summed from rounded cells", []int{12, 12, 12}, []Figure{shown(10), shown(10), shown(10)}, shown(35)},
		{"small total is suppressed", []int{0, 7, 0}, []Figure{shown(0), suppressed(), shown(0)}, suppressed()},
		{"all zero", []int{0, 0}, []Figure{shown(0), shown(0)}, shown(0)},
		{"edge values", []int{8, 13, 24, 25}, []Figure{shown(10), shown(15), shown(25), shown(25)}, shown(70)},
	}
	for _, c := range cases {
		tab := mustTable(t, Audience)
		for i, n := range c.raw {
			if err := tab.Add(n, string(rune('a'+i))); err != nil {
				t.Fatal(err)
			}
		}
		pub, err := Publish(tab, DefaultPolicy())
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range c.cells {
			if got := pub.Cells[i][0]; got != want {
				t.Errorf("%s: cell %d = %+v, want %+v", c.name, i, got, want)
			}
		}
		if pub.Total != c.total {
			t.Errorf("%s: total %+v, want %+v", c.name, pub.Total, c.total)
		}
		if pub.RowTotals != nil || pub.ColumnTotals != nil {
			t.Errorf("%s: a table of one dimension has row or column totals", c.name)
		}
	}
}

func TestTwoDimensionTotalsAreFromRawCounts(t *testing.T) {
	tab := mustTable(t, Category, Month)
	add := func(n int, cat, month string) {
		if err := tab.Add(n, cat, month); err != nil {
			t.Fatal(err)
		}
	}
	add(8, "a", "2026-10")
	add(12, "a", "2026-11")
	add(12, "b", "2026-10")
	add(1, "b", "2026-10") // adds up to 13
	add(0, "c", "2026-11") // declared, empty
	pub, err := Publish(tab, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c"}; strings.Join(pub.Rows, ",") != strings.Join(want, ",") {
		t.Errorf("rows %v, want %v in order of first appearance", pub.Rows, want)
	}
	wantCells := [][]Figure{
		{shown(10), shown(10)},
		{shown(15), shown(0)},
		{shown(0), shown(0)},
	}
	for r := range wantCells {
		for c := range wantCells[r] {
			if pub.Cells[r][c] != wantCells[r][c] {
				t.Errorf("cell %s/%s = %+v, want %+v", pub.Rows[r], pub.Columns[c], pub.Cells[r][c], wantCells[r][c])
			}
		}
	}
	// Rows: 20 → 20, 13 → 15, 0 → 0. Columns: 21 → 20, 12 → 10. Total
	// 33 → 35, where the rounded cells add up to 35 and the rows to 35 but
	// the columns to 30.
	wantRows := []Figure{shown(20), shown(15), shown(0)}
	wantCols := []Figure{shown(20), shown(10)}
	for i, w := range wantRows {
		if pub.RowTotals[i] != w {
			t.Errorf("row total %s = %+v, want %+v", pub.Rows[i], pub.RowTotals[i], w)
		}
	}
	for i, w := range wantCols {
		if pub.ColumnTotals[i] != w {
			t.Errorf("column total %s = %+v, want %+v", pub.Columns[i], pub.ColumnTotals[i], w)
		}
	}
	if pub.Total != shown(35) {
		t.Errorf("grand total %+v, want 35", pub.Total)
	}
}

func TestTableShapeIsChecked(t *testing.T) {
	if _, err := NewRawTable(); err == nil {
		t.Error("a table of no dimension was accepted")
	}
	if _, err := NewRawTable(Audience, Language, Month); err == nil {
		t.Error("a table of three dimensions was accepted")
	}
	if _, err := NewRawTable(Month, Month); err == nil {
		t.Error("a dimension given twice was accepted")
	}
	// Outside this package the only Dimension that can be written besides
	// the declared ones is the zero value: no table can be split by anything
	// else, such as a counsellor.
	if _, err := NewRawTable(Dimension{}); err == nil {
		t.Error("the zero Dimension was accepted")
	}
	tab := mustTable(t, Audience, Month)
	for _, values := range [][]string{{"self"}, {"self", "2026-11", "x"}, {"", "2026-11"}, {TotalLabel, "2026-11"}} {
		if err := tab.Add(1, values...); err == nil {
			t.Errorf("Add(1, %q) was accepted", values)
		}
	}
}

func TestDeclaredDimensionsAreTheClosedSet(t *testing.T) {
	var names []string
	for _, d := range []Dimension{Audience, Language, Region, ContactType, Category, Outcome, ReasonDim, Week, Month} {
		names = append(names, d.String())
	}
	want := "audience,language,region,contact_type,category,outcome,reason,week,month"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("dimensions %s, want %s", got, want)
	}
}

func publishedExample(t *testing.T) PublishedTable {
	t.Helper()
	tab := mustTable(t, Audience, Month)
	for _, c := range []struct {
		n           int
		aud, period string
	}{{12, "self", "2026-10"}, {5, "self", "2026-11"}, {0, "young", "2026-10"}, {9, "young", "2026-11"}} {
		if err := tab.Add(c.n, c.aud, c.period); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := Publish(tab, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestPublishedTableAsCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := publishedExample(t).WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := `audience,month,count,note
self,2026-10,10,
self,2026-11,,*
young,2026-10,0,
young,2026-11,10,
self,Total,,+
young,Total,10,
Total,2026-10,10,
Total,2026-11,,+
Total,Total,,+
`
	if buf.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestPublishedTableAsJSON(t *testing.T) {
	data, err := json.Marshal(publishedExample(t))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"dimensions":["audience","month"],` +
		`"policy":{"suppress_below":8,"round_to":5,"min_denominator":25},` +
		`"cells":[{"audience":"self","count":10,"month":"2026-10"},` +
		`{"audience":"self","count":null,"month":"2026-11","note":"*"},` +
		`{"audience":"young","count":0,"month":"2026-10"},` +
		`{"audience":"young","count":10,"month":"2026-11"}],` +
		`"row_totals":[{"audience":"self","count":null,"note":"+"},{"audience":"young","count":10}],` +
		`"column_totals":[{"count":10,"month":"2026-10"},{"count":null,"month":"2026-11","note":"+"}],` +
		`"total":{"count":null,"note":"+"},` +
		`"footnotes":{"*":"fewer than 8, not shown; other counts rounded to the nearest 5, totals from unrounded counts",` +
		`"+":"not shown, so that no count not shown can be worked out from it"}}`
	if string(data) != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", data, want)
	}
}

func TestOneDimensionEncodings(t *testing.T) {
	tab := mustTable(t, Outcome)
	_ = tab.Add(3, "closed")
	_ = tab.Add(2, "queue_full")
	pub, err := Publish(tab, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := pub.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if want := "outcome,count,note\nclosed,,*\nqueue_full,,*\nTotal,,*\n"; buf.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
	data, _ := json.Marshal(pub)
	if !strings.Contains(string(data), `"total":{"count":null,"note":"*"}`) || strings.Contains(string(data), "row_totals") {
		t.Errorf("JSON %s: want a suppressed total and no row totals", data)
	}
}
