package directory

import "fmt"

// Set is a whole directory, or part of one, as imported or exported.
type Set struct {
	Organizations []Organization
	Services      []Service
}

// Check returns every problem in the set: each record's own, repeated ids,
// and services whose organisation is not in the set. source names the file.
func (set Set) Check(source string) Problems {
	orgAt := make([]location, len(set.Organizations))
	svcAt := make([]location, len(set.Services))
	var ps Problems
	for i, o := range set.Organizations {
		orgAt[i] = location{file: source, record: "organization " + o.ID}
		ps = append(ps, orgAt[i].all(o.Check(), nil)...)
	}
	for i, s := range set.Services {
		svcAt[i] = location{file: source, record: "service " + s.ID}
		ps = append(ps, svcAt[i].all(s.Check(), nil)...)
	}
	return append(ps, set.crossCheck(orgAt, svcAt)...)
}

// crossCheck finds what no single record shows: repeated ids, and services
// whose organisation is missing. orgAt and svcAt say where each record was.
func (set Set) crossCheck(orgAt, svcAt []location) []Problem {
	var ps []Problem
	orgs := map[string]bool{}
	for i, o := range set.Organizations {
		if orgs[o.ID] {
			ps = append(ps, orgAt[i].problem("id", "%q is the id of an earlier organisation too; ids must differ", o.ID))
		}
		orgs[o.ID] = true
	}
	services := map[string]bool{}
	for i, s := range set.Services {
		if services[s.ID] {
			ps = append(ps, svcAt[i].problem("id", "%q is the id of an earlier service too; ids must differ", s.ID))
		}
		services[s.ID] = true
		if s.OrganizationID != "" && !orgs[s.OrganizationID] {
			ps = append(ps, svcAt[i].problem("organization_id", "%s", fmt.Sprintf("organisation %q is not in the file; add it", s.OrganizationID)))
		}
	}
	return ps
}

// all places problems found by Check at l, renaming fields through names
// (nil keeps them).
func (l location) all(ps []Problem, names map[string]string) []Problem {
	for i := range ps {
		field := ps[i].Field
		if n, ok := names[field]; ok {
			field = n
		}
		ps[i].File, ps[i].Record, ps[i].Field = l.file, l.record, l.prefix+field
	}
	return ps
}
