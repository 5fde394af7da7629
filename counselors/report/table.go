package report

import (
	"errors"
	"fmt"
	"strings"
)

// Dimension is what a table's cells are split by. The set is closed: only
// the values declared below exist outside this package, so no table can be
// split by counsellor, supervisor or any other person.
type Dimension struct{ name string }

// The dimensions a report may use. Regions are coarse (a country's first
// level at most) and periods are weeks or months; callers pass the values.
var (
	Audience    = Dimension{"audience"}
	Language    = Dimension{"language"}
	Region      = Dimension{"region"}
	ContactType = Dimension{"contact_type"}
	Category    = Dimension{"category"}
	Outcome     = Dimension{"outcome"}
	ReasonDim   = Dimension{"reason"}
	Week        = Dimension{"week"}
	Month       = Dimension{"month"}
)

// String is the dimension's name as written in JSON and CSV.
func (d Dimension) String() string { return d.name }

// MarshalText writes the dimension's name.
func (d Dimension) MarshalText() ([]byte, error) {
	if d.name == "" {
		return nil, errors.New("report: the zero Dimension has no name; use one of the declared dimensions")
	}
	return []byte(d.name), nil
}

// TotalLabel is the dimension value that marks a total in CSV; no cell may
// use it as a value.
const TotalLabel = "Total"

// RawTable holds raw counts, before disclosure control, by one or two
// dimensions. It is never published as it is; Publish turns it into a
// PublishedTable. Build it in one goroutine; it is not safe for concurrent
// writes.
type RawTable struct {
	dims   []Dimension
	values [][]string // per dimension, in order of first appearance
	seen   []map[string]bool
	counts map[[2]string]int
}

// NewRawTable starts an empty table split by one dimension (cells and a
// total) or two (rows by the first, columns by the second, with row, column
// and grand totals).
func NewRawTable(dims ...Dimension) (*RawTable, error) {
	if len(dims) < 1 || len(dims) > 2 {
		return nil, fmt.Errorf("report: a table has one or two dimensions, not %d; publish one table per value of a third", len(dims))
	}
	if dims[0].name == "" || (len(dims) == 2 && dims[1].name == "") {
		return nil, errors.New("report: a table needs declared dimensions (report.Audience, report.Month, …), not the zero Dimension")
	}
	if len(dims) == 2 && dims[0] == dims[1] {
		return nil, fmt.Errorf("report: dimension %s is given twice", dims[0])
	}
	t := &RawTable{dims: dims, counts: map[[2]string]int{}}
	t.values = make([][]string, len(dims))
	t.seen = make([]map[string]bool, len(dims))
	for i := range dims {
		t.seen[i] = map[string]bool{}
	}
	return t, nil
}

// Add adds n to the cell with the given dimension values (one per
// dimension). Adding 0 declares a row or column so that it is published
// even when empty: a true zero.
func (t *RawTable) Add(n int, values ...string) error {
	if len(values) != len(t.dims) {
		return fmt.Errorf("report: the table has %d dimensions but %d values were given", len(t.dims), len(values))
	}
	if n < 0 {
		return fmt.Errorf("report: cannot add %d; counts only grow", n)
	}
	var key [2]string
	for i, v := range values {
		if strings.TrimSpace(v) == "" || v == TotalLabel {
			return fmt.Errorf("report: %q is not a usable value for %s; give a non-empty value other than %q",
				v, t.dims[i], TotalLabel)
		}
		if !t.seen[i][v] {
			t.seen[i][v] = true
			t.values[i] = append(t.values[i], v)
		}
		key[i] = v
	}
	t.counts[key] += n
	return nil
}

// Get returns the raw count of one cell (0 if never added).
func (t *RawTable) Get(values ...string) int {
	var key [2]string
	copy(key[:], values)
	return t.counts[key]
}

// PublishedTable is a table after disclosure control: every cell and total
// is either a rounded count or suppressed. Totals are computed from the raw
// counts and then put through the same rule, never summed from published
// cells. It is a plain value, safe to read from many goroutines.
type PublishedTable struct {
	Policy     Policy      `json:"policy"`
	Dimensions []Dimension `json:"dimensions"`
	Rows       []string    `json:"-"` // values of the first dimension
	Columns    []string    `json:"-"` // values of the second; nil for one dimension
	// Cells[row][column]; a table of one dimension has one column.
	Cells        [][]Figure `json:"-"`
	RowTotals    []Figure   `json:"-"` // two dimensions only
	ColumnTotals []Figure   `json:"-"` // two dimensions only
	Total        Figure     `json:"-"`
}

// Publish applies p to every cell and total of t, then withholds the
// totals that would give a suppressed cell away (see protect).
func Publish(t *RawTable, p Policy) (PublishedTable, error) {
	if err := p.Validate(); err != nil {
		return PublishedTable{}, err
	}
	pub := publishUnprotected(t, p)
	pub.protect()
	return pub, nil
}

// publishUnprotected rounds and suppresses every figure, totals from raw
// counts, without secondary protection.
func publishUnprotected(t *RawTable, p Policy) PublishedTable {
	pub := PublishedTable{Policy: p, Dimensions: append([]Dimension(nil), t.dims...)}
	pub.Rows = append([]string(nil), t.values[0]...)
	columns := []string{""}
	if len(t.dims) == 2 {
		pub.Columns = append([]string(nil), t.values[1]...)
		columns = pub.Columns
	}
	rowRaw := make([]int, len(pub.Rows))
	colRaw := make([]int, len(columns))
	total := 0
	pub.Cells = make([][]Figure, len(pub.Rows))
	for r, row := range pub.Rows {
		pub.Cells[r] = make([]Figure, len(columns))
		for c, col := range columns {
			raw := t.counts[[2]string{row, col}]
			pub.Cells[r][c] = p.count(raw)
			rowRaw[r] += raw
			colRaw[c] += raw
			total += raw
		}
	}
	pub.Total = p.count(total)
	if len(t.dims) == 2 {
		pub.RowTotals = figures(p, rowRaw)
		pub.ColumnTotals = figures(p, colRaw)
	}
	return pub
}

func figures(p Policy, raw []int) []Figure {
	out := make([]Figure, len(raw))
	for i, n := range raw {
		out[i] = p.count(n)
	}
	return out
}
