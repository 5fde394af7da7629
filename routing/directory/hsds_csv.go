package directory

import (
	"archive/zip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// The CSV form is HSDS's tabular one: one file per table, named as in
// HSDS's data package, with a header row. WriteCSV puts them in a zip;
// ReadCSV reads them from any fs.FS (an opened zip or a folder).
var csvColumns = []struct {
	file    string
	columns []string
}{
	{"organizations.csv", []string{"id", "name", "description"}},
	{"services.csv", []string{"id", "organization_id", "name", "description", "url", "email", "status", "fees_description",
		"minimum_age", "maximum_age", "assured_date", "last_modified", "x_translations", "x_accepts_warm_referral", "x_intake"}},
	{"service_areas.csv", []string{"id", "service_id", "name", "uri"}},
	{"languages.csv", []string{"id", "service_id", "code"}},
	{"schedules.csv", []string{"id", "service_id", "freq", "byday", "opens_at", "closes_at", "x_timezone"}},
	{"phones.csv", []string{"id", "service_id", "number"}},
	{"taxonomies.csv", []string{"id", "name", "description"}},
	{"taxonomy_terms.csv", []string{"id", "code", "name", "description", "taxonomy_id"}},
	{"attributes.csv", []string{"id", "link_id", "link_type", "link_entity", "taxonomy_term_id", "value"}},
}

// WriteCSV writes set as a zip of HSDS CSV tables.
func WriteCSV(w io.Writer, set Set) error {
	tables := csvTables(set)
	z := zip.NewWriter(w)
	for _, t := range csvColumns {
		f, err := z.Create(t.file)
		if err != nil {
			return err
		}
		cw := csv.NewWriter(f)
		cw.Write(t.columns)
		for _, row := range tables[t.file] {
			record := make([]string, len(t.columns))
			for i, c := range t.columns {
				record[i] = row[c]
			}
			cw.Write(record)
		}
		if cw.Flush(); cw.Error() != nil {
			return cw.Error()
		}
	}
	return z.Close()
}

// csvTables flattens set into rows per file.
func csvTables(set Set) map[string][]map[string]string {
	t := map[string][]map[string]string{}
	for _, o := range set.Organizations {
		t["organizations.csv"] = append(t["organizations.csv"], map[string]string{"id": o.ID, "name": o.Name, "description": o.Description})
	}
	terms := map[string]bool{}
	for _, s := range set.Services {
		h := toHSDS(s, Organization{})
		translations, _ := json.Marshal(h.XTranslations)
		t["services.csv"] = append(t["services.csv"], map[string]string{"id": h.ID, "organization_id": h.OrganizationID,
			"name": h.Name, "description": h.Description, "url": h.URL, "email": h.Email, "status": h.Status,
			"fees_description": h.FeesDescription, "minimum_age": number(h.MinimumAge), "maximum_age": number(h.MaximumAge),
			"assured_date": h.AssuredDate, "last_modified": h.LastModified, "x_translations": string(translations),
			"x_accepts_warm_referral": strconv.FormatBool(h.XAcceptsWarmReferral), "x_intake": h.XIntake})
		for _, a := range h.ServiceAreas {
			t["service_areas.csv"] = append(t["service_areas.csv"], map[string]string{"id": a.ID, "service_id": a.ServiceID, "name": a.Name, "uri": a.URI})
		}
		for _, l := range h.Languages {
			t["languages.csv"] = append(t["languages.csv"], map[string]string{"id": l.ID, "service_id": l.ServiceID, "code": l.Code})
		}
		for _, sc := range h.Schedules {
			t["schedules.csv"] = append(t["schedules.csv"], map[string]string{"id": sc.ID, "service_id": sc.ServiceID, "freq": sc.Freq,
				"byday": sc.ByDay, "opens_at": sc.OpensAt, "closes_at": sc.ClosesAt, "x_timezone": sc.XTimezone})
		}
		for _, p := range h.Phones {
			t["phones.csv"] = append(t["phones.csv"], map[string]string{"id": p.ID, "service_id": p.ServiceID, "number": p.Number})
		}
		for _, a := range h.Attributes {
			t["attributes.csv"] = append(t["attributes.csv"], map[string]string{"id": a.ID, "link_id": a.LinkID, "link_type": a.LinkType,
				"link_entity": a.LinkEntity, "taxonomy_term_id": a.TaxonomyTermID, "value": a.Value})
			if term := a.TaxonomyTerm; !terms[term.ID] {
				terms[term.ID] = true
				t["taxonomy_terms.csv"] = append(t["taxonomy_terms.csv"], map[string]string{"id": term.ID, "code": term.Code,
					"name": term.Name, "description": term.Description, "taxonomy_id": term.TaxonomyID})
			}
		}
	}
	for _, id := range []string{TaxonomyAudience, TaxonomyKind, TaxonomyChannel} {
		t["taxonomies.csv"] = append(t["taxonomies.csv"], map[string]string{"id": id, "name": id, "description": taxonomyTitles[id]})
	}
	return t
}

func number(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// csvRow is one data row: its values by column, and where it was read.
type csvRow struct {
	values map[string]string
	loc    location
}

func (r csvRow) get(column string) string { return strings.TrimSpace(r.values[column]) }

// readTable reads one CSV file of fsys; a missing optional file is empty.
// Every problem names name/file, the line and the column.
func readTable(fsys fs.FS, name, file string, required bool) ([]csvRow, []Problem) {
	where := name + "/" + file
	f, err := fsys.Open(file)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil, nil
	}
	if err != nil {
		return nil, []Problem{{File: where, Text: fmt.Sprintf("cannot be read (%v); HSDS CSV needs organizations.csv and services.csv", err)}}
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, []Problem{{File: where, Record: "line 1", Text: fmt.Sprintf("needs a header row (%v)", err)}}
	}
	var ps []Problem
	for _, c := range columnsOf(file) {
		if c == "id" && !contains(header, c) {
			ps = append(ps, Problem{File: where, Record: "line 1", Field: c, Text: "this column is missing; add it to the header"})
		}
	}
	var rows []csvRow
	for {
		record, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		loc := location{file: where, record: fmt.Sprintf("line %d", line)}
		var parse *csv.ParseError
		if errors.As(err, &parse) && errors.Is(parse.Err, csv.ErrFieldCount) {
			ps = append(ps, Problem{File: where, Record: fmt.Sprintf("line %d", parse.Line), Text: fmt.Sprintf("has %d fields, the header %d; quote values that hold commas", len(record), len(header))})
			continue
		}
		if err != nil {
			return nil, append(ps, Problem{File: where, Record: fmt.Sprintf("line %d", line), Text: fmt.Sprintf("%v; the rest of the file was not read", err)})
		}
		values := map[string]string{}
		for i, c := range header {
			values[strings.TrimPrefix(c, "\ufeff")] = record[i]
		}
		rows = append(rows, csvRow{values: values, loc: loc})
	}
	return rows, ps
}

func columnsOf(file string) []string {
	for _, t := range csvColumns {
		if t.file == file {
			return t.columns
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimPrefix(x, "\ufeff") == s {
			return true
		}
	}
	return false
}
