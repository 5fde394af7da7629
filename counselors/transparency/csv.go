package transparency

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"

	"helpline/counselors/report"
)

// WriteCSV writes the report in long form, one figure a line:
//
//	section,item,dimension,value,dimension2,value2,count,note
//	contacts,by_audience,audience,self,,,40,
//	contacts,by_audience,audience,young,,,,*
//	contacts,by_audience,audience,Total,,,,+
//	contacts,answered,,,,,71,percent
//	contacts,wait,,,,,180,median_seconds
//
// A figure not shown has an empty count and its marker in note ("*" a
// small count, "+" withheld so that no small count can be worked out); a
// percentage or a wait says what it is in note (percent, median_seconds,
// p90_seconds) and, when not shown, has an empty count and note "*".
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"section", "item", "dimension", "value", "dimension2", "value2", "count", "note"})
	cw.Write([]string{"period", "from", "", r.Period.FromDay(), "", "", "", ""})
	cw.Write([]string{"period", "to", "", r.Period.ToDay(), "", "", "", ""})
	for _, sec := range r.Sections {
		for _, t := range sec.Tables {
			if err := writeTable(cw, sec.Key, t); err != nil {
				return err
			}
		}
		for _, p := range sec.Percentages {
			cw.Write(figureLine(sec.Key, p.Key, p.Percent.Value, p.Percent.Suppressed, "percent"))
		}
		for _, ws := range sec.Waits {
			s := ws.Summary
			cw.Write(figureLine(sec.Key, ws.Key, s.MedianSeconds, s.Suppressed, "median_seconds"))
			cw.Write(figureLine(sec.Key, ws.Key, s.P90Seconds, s.Suppressed, "p90_seconds"))
		}
	}
	cw.Flush()
	return cw.Error()
}

func figureLine(section, item string, value int, suppressed bool, what string) []string {
	if suppressed {
		return []string{section, item, "", "", "", "", "", report.SuppressedMarker + " " + what}
	}
	return []string{section, item, "", "", "", "", strconv.Itoa(value), what}
}

// writeTable rewrites a table's own CSV (report.PublishedTable.WriteCSV)
// into the report's columns, so that the figures are exactly the table's.
func writeTable(cw *csv.Writer, section string, t Table) error {
	var buf bytes.Buffer
	if err := t.Table.WriteCSV(&buf); err != nil {
		return err
	}
	lines, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(lines) == 0 {
		return err
	}
	dims := lines[0][:len(lines[0])-2]
	for _, l := range lines[1:] {
		out := []string{section, t.Key, "", "", "", ""}
		for i, d := range dims {
			out[2+2*i], out[3+2*i] = d, l[i]
		}
		cw.Write(append(out, l[len(l)-2], l[len(l)-1]))
	}
	return nil
}
