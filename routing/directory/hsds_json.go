package directory

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// hsdsFieldNames renames the fields Service.Check names to the HSDS fields
// they were read from.
var hsdsFieldNames = map[string]string{
	"hours": "schedules", "audiences": "attributes", "kinds": "attributes", "fallback": "x_translations.fallback",
	"cost": "fees_description", "web": "url", "phone": "phones", "in_person": "attributes", "secure_intake": "x_intake",
}

// WriteJSON writes set as HSDS 3.0 JSON: an array of service objects, each
// with its organization, service_areas, languages, schedules, phones and
// attributes nested, as the HSDS API's /services/{id} returns them.
func WriteJSON(w io.Writer, set Set) error {
	orgs := map[string]Organization{}
	for _, o := range set.Organizations {
		orgs[o.ID] = o
	}
	out := make([]hsdsService, 0, len(set.Services))
	for _, s := range set.Services {
		out = append(out, toHSDS(s, orgs[s.OrganizationID]))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// ReadJSON reads HSDS 3.0 JSON as WriteJSON writes it. name is the file's
// name, for problems. On any problem it returns Problems, every one found,
// each naming the line, the record and the field.
func ReadJSON(name string, r io.Reader) (Set, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Set{}, fmt.Errorf("reading %s: %w", name, err)
	}
	raws, ps := splitJSONArray(name, data)
	if len(ps) > 0 {
		return Set{}, Problems(ps)
	}
	var records []hsdsService
	for i, raw := range raws {
		loc := location{file: name, record: fmt.Sprintf("line %d (record %d)", lineAt(data, raw.offset), i+1)}
		var h hsdsService
		if err := json.Unmarshal(raw.data, &h); err != nil {
			ps = append(ps, jsonProblem(loc, err))
			var typ *json.UnmarshalTypeError
			if !errors.As(err, &typ) {
				continue
			}
			// The rest of the record was read: check it too.
		}
		h.loc = loc
		h.locateChildren(loc)
		records = append(records, h)
	}
	set, more := assemble(records)
	if ps = append(ps, more...); len(ps) > 0 {
		return Set{}, Problems(ps)
	}
	return set, nil
}

type rawRecord struct {
	offset int
	data   json.RawMessage
}

// splitJSONArray cuts the top-level array into its elements, keeping where
// each starts.
func splitJSONArray(name string, data []byte) ([]rawRecord, []Problem) {
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) []Problem {
		line := lineAt(data, int(dec.InputOffset()))
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line = lineAt(data, int(syn.Offset))
		}
		return []Problem{{File: name, Record: fmt.Sprintf("line %d", line), Text: fmt.Sprintf("%v; the file must be a JSON array of HSDS service objects", err)}}
	}
	if tok, err := dec.Token(); err != nil {
		return nil, fail(err)
	} else if tok != json.Delim('[') {
		return nil, fail(errors.New("the file does not start with ["))
	}
	var out []rawRecord
	for dec.More() {
		start := int(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fail(err)
		}
		start += len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n,"))
		out = append(out, rawRecord{offset: start, data: raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fail(err)
	}
	return out, nil
}

// lineAt is the 1-based line of offset in data.
func lineAt(data []byte, offset int) int {
	return bytes.Count(data[:min(offset, len(data))], []byte("\n")) + 1
}

func jsonProblem(loc location, err error) Problem {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		want := map[reflect.Kind]string{reflect.Float64: "number", reflect.String: "string", reflect.Bool: "true or false",
			reflect.Slice: "list", reflect.Struct: "object", reflect.Pointer: "object"}[typ.Type.Kind()]
		return loc.problem(typ.Field, "is a JSON %s; HSDS wants a %s here", typ.Value, cmp.Or(want, typ.Type.String()))
	}
	return loc.problem("", "%v", err)
}

// locateChildren says where nested records are, for problems.
func (h *hsdsService) locateChildren(loc location) {
	at := func(field string, i int) location {
		return location{file: loc.file, record: loc.record, prefix: fmt.Sprintf("%s[%d].", field, i)}
	}
	for i := range h.ServiceAreas {
		h.ServiceAreas[i].loc = at("service_areas", i)
	}
	for i := range h.Languages {
		h.Languages[i].loc = at("languages", i)
	}
	for i := range h.Schedules {
		h.Schedules[i].loc = at("schedules", i)
	}
	for i := range h.Phones {
		h.Phones[i].loc = at("phones", i)
	}
	for i := range h.Attributes {
		h.Attributes[i].loc = at("attributes", i)
	}
	if h.Organization != nil {
		h.Organization.loc = location{file: loc.file, record: loc.record, prefix: "organization."}
	}
}

// assemble turns read HSDS services into a set, with every problem found
// in each record and across them.
func assemble(records []hsdsService) (Set, []Problem) {
	var set Set
	var ps []Problem
	var orgAt, svcAt []location
	orgIndex := map[string]int{}
	for _, h := range records {
		s, more := fromHSDS(h)
		ps = append(ps, more...)
		ps = append(ps, h.loc.all(s.Check(), hsdsFieldNames)...)
		set.Services = append(set.Services, s)
		svcAt = append(svcAt, h.loc)
		if h.Organization == nil {
			continue
		}
		o := Organization{ID: h.Organization.ID, Name: h.Organization.Name, Description: h.Organization.Description}
		if i, seen := orgIndex[o.ID]; seen {
			if set.Organizations[i] != o {
				ps = append(ps, h.Organization.loc.problem("id", "organisation %q is written differently in an earlier record; make them the same", o.ID))
			}
			continue
		}
		orgIndex[o.ID] = len(set.Organizations)
		set.Organizations = append(set.Organizations, o)
		orgAt = append(orgAt, h.Organization.loc)
		ps = append(ps, h.Organization.loc.all(o.Check(), nil)...)
	}
	ps = append(ps, set.crossCheck(orgAt, svcAt)...)
	return set, ps
}
