package report

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
)

// Footnote markers written beside a figure not shown, whose value is left
// empty (null in JSON, an empty field in CSV).
const (
	// SuppressedMarker: a count from 1 to SuppressBelow-1.
	SuppressedMarker = "*"
	// WithheldMarker: a total withheld so that no suppressed cell can be
	// worked out from it.
	WithheldMarker = "+"
)

// marker is the footnote marker of a figure not shown.
func marker(fig Figure) string {
	if fig.Reason == ReasonWithheld || fig.Reason == ReasonComplementary {
		return WithheldMarker
	}
	return SuppressedMarker
}

// footnotes explains the markers, with the thresholds of the policy used.
func (p Policy) footnotes() map[string]string {
	return map[string]string{
		SuppressedMarker: p.footnote(),
		WithheldMarker:   "not shown, so that no count not shown can be worked out from it",
	}
}

// footnote explains the marker, with the thresholds of the policy used.
func (p Policy) footnote() string {
	return "fewer than " + strconv.Itoa(p.SuppressBelow) + ", not shown; other counts rounded to the nearest " +
		strconv.Itoa(p.RoundTo) + ", totals from unrounded counts"
}

// record is one line of a published table: its dimension values (TotalLabel
// for a total) and its figure.
type record struct {
	kind   recordKind
	values []string
	figure Figure
}

type recordKind int

const (
	cellRecord recordKind = iota
	rowTotalRecord
	columnTotalRecord
	grandTotalRecord
)

// records lists cells, then row totals, column totals and the grand total.
func (t PublishedTable) records() []record {
	var out []record
	two := len(t.Dimensions) == 2
	for r, row := range t.Rows {
		for c := range t.Cells[r] {
			values := []string{row}
			if two {
				values = append(values, t.Columns[c])
			}
			out = append(out, record{cellRecord, values, t.Cells[r][c]})
		}
	}
	if two {
		for r, row := range t.Rows {
			out = append(out, record{rowTotalRecord, []string{row, TotalLabel}, t.RowTotals[r]})
		}
		for c, col := range t.Columns {
			out = append(out, record{columnTotalRecord, []string{TotalLabel, col}, t.ColumnTotals[c]})
		}
	}
	grand := []string{TotalLabel}
	if two {
		grand = append(grand, TotalLabel)
	}
	return append(out, record{grandTotalRecord, grand, t.Total})
}

// MarshalJSON writes the table as
//
//	{"dimensions":["category","month"],"policy":{…},
//	 "cells":[{"category":"a","month":"2026-11","count":10}, …,
//	          {"category":"b","month":"2026-11","count":null,"note":"*"}],
//	 "row_totals":[{"category":"a","count":15}, …],
//	 "column_totals":[…],"total":{"count":40},
//	 "footnotes":{"*":"fewer than 8, not shown; …","+":"…"}}
//
// A figure not shown has "count": null and a "note" marker: "*" for a
// suppressed count, "+" for a withheld total. A table of one
// dimension has no row_totals or column_totals.
func (t PublishedTable) MarshalJSON() ([]byte, error) {
	type line = map[string]any
	doc := struct {
		Dimensions   []Dimension       `json:"dimensions"`
		Policy       Policy            `json:"policy"`
		Cells        []line            `json:"cells"`
		RowTotals    []line            `json:"row_totals,omitempty"`
		ColumnTotals []line            `json:"column_totals,omitempty"`
		Total        line              `json:"total"`
		Footnotes    map[string]string `json:"footnotes"`
	}{Dimensions: t.Dimensions, Policy: t.Policy, Cells: []line{},
		Footnotes: t.Policy.footnotes()}
	for _, rec := range t.records() {
		l := line{}
		for i, v := range rec.values {
			if v != TotalLabel {
				l[t.Dimensions[i].name] = v
			}
		}
		if rec.figure.Suppressed {
			l["count"], l["note"] = nil, marker(rec.figure)
		} else {
			l["count"] = rec.figure.Count
		}
		switch rec.kind {
		case cellRecord:
			doc.Cells = append(doc.Cells, l)
		case rowTotalRecord:
			doc.RowTotals = append(doc.RowTotals, l)
		case columnTotalRecord:
			doc.ColumnTotals = append(doc.ColumnTotals, l)
		case grandTotalRecord:
			doc.Total = l
		}
	}
	return json.Marshal(doc)
}

// WriteCSV writes the table in long form: a header of the dimension names,
// "count" and "note"; one line per cell; then row totals, column totals and
// the grand total, with TotalLabel in place of the dimension value summed
// over. A figure not shown has an empty count and its marker ("*" or "+")
// in note; the markers are explained in the JSON footnotes and the README.
func (t PublishedTable) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := make([]string, 0, len(t.Dimensions)+2)
	for _, d := range t.Dimensions {
		header = append(header, d.name)
	}
	if err := cw.Write(append(header, "count", "note")); err != nil {
		return err
	}
	for _, rec := range t.records() {
		count, note := strconv.Itoa(rec.figure.Count), ""
		if rec.figure.Suppressed {
			count, note = "", marker(rec.figure)
		}
		if err := cw.Write(append(append([]string(nil), rec.values...), count, note)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
