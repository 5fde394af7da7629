package directory

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Query is what a counsellor knows about the person; every field is optional.
type Query struct {
	Region   string   // ISO 3166-1 or 3166-2 code, "ES-MD" or "ES"
	Audience Audience // self, young, other, professional
	Language string   // ISO 639-1, "es"
}

// How well a service's regions fit the person's region, best last.
const (
	regionNone = iota
	regionAnywhere
	regionInCountry // a subdivision of the person's country, when they gave only the country
	regionCountry
	regionSubdivision
)

// How a service's hours fit now, best last: unknown hours rank between.
const (
	closedNow = iota
	hoursUnknown
	openNow
)

// Rank returns the services that could help a person described by q, best
// fit first. Deleted and inactive services are left out, and so are services
// for another region when q names one. The order: region (the person's
// subdivision, then their country, then online / anywhere), then audience,
// then language, then open at now; temporarily closed services come after
// every open one; ties keep id order. A person who gave only a country is
// also shown the services of that country's subdivisions, after the
// country-wide ones and before those for anywhere.
func Rank(services []Service, q Query, now time.Time) []Service {
	type scored struct {
		s                                     Service
		closed, region, audience, lang, hours int
	}
	var list []scored
	for _, s := range services {
		if s.Deleted() || s.Status == StatusInactive {
			continue
		}
		region := regionFit(s.Regions, strings.ToUpper(strings.TrimSpace(q.Region)))
		if region == regionNone {
			continue
		}
		list = append(list, scored{s: s, region: region,
			closed:   boolInt(s.Status == StatusTemporarilyClosed),
			audience: boolInt(q.Audience != "" && slices.Contains(s.Audiences, q.Audience)),
			lang:     boolInt(q.Language != "" && slices.Contains(s.Languages, strings.ToLower(q.Language))),
			hours:    hoursFit(s, now)})
	}
	slices.SortStableFunc(list, func(a, b scored) int {
		return cmp.Or(cmp.Compare(a.closed, b.closed), cmp.Compare(b.region, a.region),
			cmp.Compare(b.audience, a.audience), cmp.Compare(b.lang, a.lang), cmp.Compare(b.hours, a.hours),
			strings.Compare(a.s.ID, b.s.ID))
	})
	out := make([]Service, len(list))
	for i, x := range list {
		out[i] = x.s
	}
	return out
}

// regionFit is how well a service's regions cover region ("" is unknown:
// every service fits, the ones for anywhere no better than the rest).
func regionFit(regions []string, region string) int {
	if region == "" {
		return regionAnywhere
	}
	country, _, _ := strings.Cut(region, "-")
	best := regionNone
	for _, r := range regions {
		switch {
		case r == region && strings.Contains(r, "-"):
			best = max(best, regionSubdivision)
		case r == country:
			best = max(best, regionCountry)
		case region == country && strings.HasPrefix(r, country+"-"):
			best = max(best, regionInCountry)
		case r == Anywhere:
			best = max(best, regionAnywhere)
		}
	}
	return best
}

func hoursFit(s Service, now time.Time) int {
	h, ok, err := s.OpeningHours()
	switch {
	case !ok || err != nil:
		return hoursUnknown
	case h.Open(now):
		return openNow
	}
	return closedNow
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
