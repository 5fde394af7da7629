package directory

import (
	"encoding/json"
	"io/fs"
	"strconv"
)

// ReadCSV reads HSDS CSV tables from fsys (an opened zip, or a folder) as
// WriteCSV writes them; name is the zip's or folder's name, for problems. On
// any problem it returns Problems, every one found, each naming the file,
// the line and the column.
func ReadCSV(name string, fsys fs.FS) (Set, error) {
	var ps []Problem
	tables := map[string][]csvRow{}
	for _, t := range csvColumns {
		rows, more := readTable(fsys, name, t.file, t.file == "organizations.csv" || t.file == "services.csv")
		tables[t.file], ps = rows, append(ps, more...)
	}
	orgs := map[string]*hsdsOrganization{}
	for _, r := range tables["organizations.csv"] {
		orgs[r.get("id")] = &hsdsOrganization{ID: r.get("id"), Name: r.get("name"), Description: r.get("description"), loc: r.loc}
	}
	var records []*hsdsService
	byID := map[string]*hsdsService{}
	for _, r := range tables["services.csv"] {
		h, more := serviceFromRow(r, orgs)
		ps = append(ps, more...)
		records = append(records, h)
		byID[h.ID] = h
	}
	ps = append(ps, attachChildren(tables, byID)...)
	list := make([]hsdsService, len(records))
	for i, h := range records {
		list[i] = *h
	}
	set, more := assemble(list)
	if ps = append(ps, more...); len(ps) > 0 {
		return Set{}, Problems(ps)
	}
	return set, nil
}

func serviceFromRow(r csvRow, orgs map[string]*hsdsOrganization) (*hsdsService, []Problem) {
	var ps []Problem
	h := &hsdsService{ID: r.get("id"), OrganizationID: r.get("organization_id"), Name: r.get("name"), Description: r.get("description"),
		URL: r.get("url"), Email: r.get("email"), Status: r.get("status"), FeesDescription: r.get("fees_description"),
		AssuredDate: r.get("assured_date"), XIntake: r.get("x_intake"), Organization: orgs[r.get("organization_id")], loc: r.loc}
	for column, dst := range map[string]**float64{"minimum_age": &h.MinimumAge, "maximum_age": &h.MaximumAge} {
		if v := r.get(column); v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				ps = append(ps, r.loc.problem(column, "%q is not a number; write a whole number of years", v))
				continue
			}
			*dst = &n
		}
	}
	if v := r.get("x_accepts_warm_referral"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			ps = append(ps, r.loc.problem("x_accepts_warm_referral", "%q is not true or false", v))
		}
		h.XAcceptsWarmReferral = b
	}
	if v := r.get("x_translations"); v != "" {
		h.XTranslations = new(xTranslations)
		if err := json.Unmarshal([]byte(v), h.XTranslations); err != nil {
			ps = append(ps, r.loc.problem("x_translations", "is not JSON like {\"fallback\":\"es\",\"name\":{\"es\":\"…\",\"en\":\"…\"}} (%v)", err))
		}
	}
	return h, ps
}

// attachChildren puts each child row under its service, and says which rows
// name a service (or taxonomy term) that is not there.
func attachChildren(tables map[string][]csvRow, byID map[string]*hsdsService) []Problem {
	var ps []Problem
	owner := func(r csvRow, column string) *hsdsService {
		h := byID[r.get(column)]
		if h == nil {
			ps = append(ps, r.loc.problem(column, "%q is not the id of a service in services.csv", r.get(column)))
		}
		return h
	}
	for _, r := range tables["service_areas.csv"] {
		if h := owner(r, "service_id"); h != nil {
			h.ServiceAreas = append(h.ServiceAreas, hsdsServiceArea{ID: r.get("id"), ServiceID: h.ID, Name: r.get("name"), URI: r.get("uri"), loc: r.loc})
		}
	}
	for _, r := range tables["languages.csv"] {
		if h := owner(r, "service_id"); h != nil {
			h.Languages = append(h.Languages, hsdsLanguage{ID: r.get("id"), ServiceID: h.ID, Code: r.get("code"), loc: r.loc})
		}
	}
	for _, r := range tables["schedules.csv"] {
		if h := owner(r, "service_id"); h != nil {
			h.Schedules = append(h.Schedules, hsdsSchedule{ID: r.get("id"), ServiceID: h.ID, Freq: r.get("freq"), ByDay: r.get("byday"),
				OpensAt: r.get("opens_at"), ClosesAt: r.get("closes_at"), XTimezone: r.get("x_timezone"), loc: r.loc})
		}
	}
	for _, r := range tables["phones.csv"] {
		if h := owner(r, "service_id"); h != nil {
			h.Phones = append(h.Phones, hsdsPhone{ID: r.get("id"), ServiceID: h.ID, Number: r.get("number"), loc: r.loc})
		}
	}
	terms := map[string]*hsdsTerm{}
	for _, r := range tables["taxonomy_terms.csv"] {
		terms[r.get("id")] = &hsdsTerm{ID: r.get("id"), Code: r.get("code"), Name: r.get("name"), Description: r.get("description"),
			TaxonomyID: r.get("taxonomy_id"), loc: r.loc}
	}
	for _, r := range tables["attributes.csv"] {
		if e := r.get("link_entity"); e != "" && e != "service" {
			continue // attributes of other tables are not read
		}
		h := owner(r, "link_id")
		term := terms[r.get("taxonomy_term_id")]
		if term == nil {
			ps = append(ps, r.loc.problem("taxonomy_term_id", "%q is not the id of a term in taxonomy_terms.csv", r.get("taxonomy_term_id")))
		}
		if h != nil && term != nil {
			h.Attributes = append(h.Attributes, hsdsAttribute{ID: r.get("id"), LinkID: h.ID, LinkType: r.get("link_type"),
				LinkEntity: "service", TaxonomyTermID: term.ID, Value: r.get("value"), TaxonomyTerm: term, loc: r.loc})
		}
	}
	return ps
}
