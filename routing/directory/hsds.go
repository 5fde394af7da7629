package directory

import (
	"crypto/sha1"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"helpline/routing"
)

// The HSDS 3.0 subset this package reads and writes. Field names are HSDS's
// (openreferral/specification, schema/*.json); fields starting x_ are ours,
// where HSDS has none, as its conformance rules allow. Every other HSDS field
// is ignored on import and not written on export.

// Our taxonomies, linked to services through HSDS attributes.
const (
	TaxonomyAudience = "helpline-audience"
	TaxonomyKind     = "helpline-kind"
	TaxonomyChannel  = "helpline-channel" // only in_person: HSDS has url, email and phones for the rest
)

// isoAreaURI prefixes an ISO 3166 code in a service_area's uri.
const isoAreaURI = "https://www.iso.org/obp/ui/#iso:code:3166:"

type hsdsOrganization struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	loc         location
}

type hsdsService struct {
	ID                   string            `json:"id"`
	OrganizationID       string            `json:"organization_id"`
	Name                 string            `json:"name"`
	Description          string            `json:"description"`
	URL                  string            `json:"url,omitempty"`
	Email                string            `json:"email,omitempty"`
	Status               string            `json:"status"`
	FeesDescription      string            `json:"fees_description,omitempty"`
	MinimumAge           *float64          `json:"minimum_age,omitempty"`
	MaximumAge           *float64          `json:"maximum_age,omitempty"`
	AssuredDate          string            `json:"assured_date,omitempty"`
	LastModified         string            `json:"last_modified,omitempty"`
	Organization         *hsdsOrganization `json:"organization,omitempty"`
	ServiceAreas         []hsdsServiceArea `json:"service_areas"`
	Languages            []hsdsLanguage    `json:"languages"`
	Schedules            []hsdsSchedule    `json:"schedules"`
	Phones               []hsdsPhone       `json:"phones"`
	Attributes           []hsdsAttribute   `json:"attributes"`
	XTranslations        *xTranslations    `json:"x_translations,omitempty"`
	XAcceptsWarmReferral bool              `json:"x_accepts_warm_referral"`
	XIntake              string            `json:"x_intake,omitempty"`
	loc                  location
}

// xTranslations carries every language of the translated fields; the plain
// HSDS fields hold the fallback language's text.
type xTranslations struct {
	Fallback        string `json:"fallback"`
	Name            Text   `json:"name,omitempty"`
	Description     Text   `json:"description,omitempty"`
	FeesDescription Text   `json:"fees_description,omitempty"`
}

type hsdsServiceArea struct {
	ID        string `json:"id"`
	ServiceID string `json:"service_id"`
	Name      string `json:"name,omitempty"`
	URI       string `json:"uri,omitempty"`
	loc       location
}

type hsdsLanguage struct {
	ID        string `json:"id"`
	ServiceID string `json:"service_id"`
	Code      string `json:"code"`
	loc       location
}

type hsdsSchedule struct {
	ID        string `json:"id"`
	ServiceID string `json:"service_id"`
	Freq      string `json:"freq"`
	ByDay     string `json:"byday"`
	OpensAt   string `json:"opens_at"`
	ClosesAt  string `json:"closes_at"`
	XTimezone string `json:"x_timezone,omitempty"` // IANA zone; HSDS's timezone is a fixed UTC offset, wrong across DST
	loc       location
}

type hsdsPhone struct {
	ID        string `json:"id"`
	ServiceID string `json:"service_id"`
	Number    string `json:"number"`
	loc       location
}

type hsdsAttribute struct {
	ID             string    `json:"id"`
	LinkID         string    `json:"link_id"`
	LinkType       string    `json:"link_type"`
	LinkEntity     string    `json:"link_entity"`
	TaxonomyTermID string    `json:"taxonomy_term_id"`
	Value          string    `json:"value,omitempty"`
	TaxonomyTerm   *hsdsTerm `json:"taxonomy_term,omitempty"`
	loc            location
}

type hsdsTerm struct {
	ID          string `json:"id"`
	Code        string `json:"code"`
	Name        string `json:"name"`
	Description string `json:"description"`
	TaxonomyID  string `json:"taxonomy_id"`
	loc         location
}

// location is where a record was read: the file, "line 7" or "record 2",
// and for nested JSON a prefix for the field ("service_areas[0].").
type location struct {
	file, record, prefix string
}

func (l location) problem(field, format string, args ...any) Problem {
	return Problem{File: l.file, Record: l.record, Field: l.prefix + field, Text: fmt.Sprintf(format, args...)}
}

// childID makes a stable UUID (version 5 layout) for a row HSDS wants an id
// for and we do not keep, so that exports of the same data are equal.
func childID(serviceID, kind string, n int) string {
	h := sha1.Sum([]byte(fmt.Sprintf("helpline-directory/%s/%s/%d", serviceID, kind, n)))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// taxonomyTitles are the names of our taxonomies, for export.
var taxonomyTitles = map[string]string{
	TaxonomyAudience: "Helpline audiences: who a service is for",
	TaxonomyKind:     "Helpline service kinds: what a service offers",
	TaxonomyChannel:  "Helpline channels without an HSDS field",
}

func termFor(taxonomy, code string) hsdsTerm {
	return hsdsTerm{ID: taxonomy + "-" + code, Code: code, Name: strings.ReplaceAll(code, "_", " "),
		Description: taxonomyTitles[taxonomy] + ": " + code, TaxonomyID: taxonomy}
}

// toHSDS writes s (run by org) as an HSDS service.
func toHSDS(s Service, org Organization) hsdsService {
	h := hsdsService{ID: s.ID, OrganizationID: s.OrganizationID, Name: s.Name[s.Fallback], Description: s.Description[s.Fallback],
		Status: string(s.Status), FeesDescription: s.Cost[s.Fallback], AssuredDate: s.VerifiedOn,
		XAcceptsWarmReferral: s.AcceptsWarmReferral,
		XTranslations:        &xTranslations{Fallback: s.Fallback, Name: s.Name, Description: s.Description, FeesDescription: s.Cost},
		Organization:         &hsdsOrganization{ID: org.ID, Name: org.Name, Description: org.Description}}
	if !s.UpdatedAt.IsZero() {
		h.LastModified = s.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	if s.MinAge > 0 {
		h.MinimumAge = ptr(float64(s.MinAge))
	}
	if s.MaxAge > 0 {
		h.MaximumAge = ptr(float64(s.MaxAge))
	}
	for i, r := range s.Regions {
		area := hsdsServiceArea{ID: childID(s.ID, "area", i), ServiceID: s.ID, Name: r, URI: isoAreaURI + r}
		if r == Anywhere {
			area.Name, area.URI = "Online / anywhere", ""
		}
		h.ServiceAreas = append(h.ServiceAreas, area)
	}
	for i, l := range s.Languages {
		h.Languages = append(h.Languages, hsdsLanguage{ID: childID(s.ID, "language", i), ServiceID: s.ID, Code: l})
	}
	if hours, ok, err := s.OpeningHours(); ok && err == nil {
		for i, sc := range toSchedules(hours) {
			h.Schedules = append(h.Schedules, hsdsSchedule{ID: childID(s.ID, "schedule", i), ServiceID: s.ID, Freq: "WEEKLY",
				ByDay: sc.ByDay, OpensAt: sc.OpensAt, ClosesAt: sc.ClosesAt, XTimezone: s.TimeZone})
		}
	}
	addAttr := func(taxonomy, linkType, code, value string) {
		t := termFor(taxonomy, code)
		h.Attributes = append(h.Attributes, hsdsAttribute{ID: childID(s.ID, "attribute", len(h.Attributes)), LinkID: s.ID,
			LinkType: linkType, LinkEntity: "service", TaxonomyTermID: t.ID, Value: value, TaxonomyTerm: &t})
	}
	for _, a := range s.Audiences {
		addAttr(TaxonomyAudience, "audience", string(a), "")
	}
	for _, k := range s.Kinds {
		addAttr(TaxonomyKind, "kind", string(k), "")
	}
	for _, c := range s.Channels {
		switch c.Kind {
		case ChannelWeb:
			h.URL = c.Address
		case ChannelEmail:
			h.Email = c.Address
		case ChannelPhone:
			h.Phones = append(h.Phones, hsdsPhone{ID: childID(s.ID, "phone", len(h.Phones)), ServiceID: s.ID, Number: c.Address})
		case ChannelSecureIntake:
			h.XIntake = c.Address
		case ChannelInPerson:
			addAttr(TaxonomyChannel, "channel", string(c.Kind), c.Address)
		}
	}
	return h
}

func ptr[T any](v T) *T { return &v }

// fromHSDS reads an HSDS service into ours. Problems name where each was
// found; the service's own checks (Service.Check) run after, in the caller.
func fromHSDS(h hsdsService) (Service, []Problem) {
	var ps []Problem
	s := Service{ID: h.ID, OrganizationID: h.OrganizationID, Status: Status(h.Status), VerifiedOn: h.AssuredDate,
		AcceptsWarmReferral: h.XAcceptsWarmReferral}
	if s.OrganizationID == "" && h.Organization != nil {
		s.OrganizationID = h.Organization.ID
	}
	if s.Status == "defunct" {
		s.Status = StatusInactive // ours has no separate "defunct"
	}
	s.Fallback, s.Name, s.Description, s.Cost = readTranslations(h)
	var err error
	if s.MinAge, err = readAge(h.MinimumAge); err != nil {
		ps = append(ps, h.loc.problem("minimum_age", "%v", err))
	}
	if s.MaxAge, err = readAge(h.MaximumAge); err != nil {
		ps = append(ps, h.loc.problem("maximum_age", "%v", err))
	}
	s.Channels = readChannels(h)
	ps = append(ps, readAreas(&s, h.ServiceAreas)...)
	for _, l := range h.Languages {
		if code := strings.ToLower(strings.TrimSpace(l.Code)); languagePattern.MatchString(code) {
			s.Languages = append(s.Languages, code)
		} else {
			ps = append(ps, l.loc.problem("code", "%q is not an ISO 639 language code; write e.g. es or en", l.Code))
		}
	}
	ps = append(ps, readSchedules(&s, h.Schedules)...)
	ps = append(ps, readAttributes(&s, h.Attributes)...)
	return s, ps
}

func readTranslations(h hsdsService) (fallback string, name, description, cost Text) {
	name, description, cost = Text{}, Text{}, Text{}
	if t := h.XTranslations; t != nil {
		fallback = t.Fallback
		maps.Copy(name, t.Name)
		maps.Copy(description, t.Description)
		maps.Copy(cost, t.FeesDescription)
	}
	for _, l := range h.Languages {
		if code := strings.ToLower(strings.TrimSpace(l.Code)); fallback == "" && languagePattern.MatchString(code) {
			fallback = code
		}
	}
	// The plain HSDS fields win: they are what every other HSDS reader sees.
	for t, v := range map[*Text]string{&name: h.Name, &description: h.Description, &cost: h.FeesDescription} {
		if v != "" && fallback != "" {
			(*t)[fallback] = v
		}
	}
	return fallback, name, description, cost
}

func readAge(v *float64) (int, error) {
	if v == nil {
		return 0, nil
	}
	if *v < 0 || *v > 150 || *v != math.Trunc(*v) {
		return 0, fmt.Errorf("%v is not an age; write a whole number of years", *v)
	}
	return int(*v), nil
}

func readChannels(h hsdsService) []Channel {
	var out []Channel
	if h.URL != "" {
		out = append(out, Channel{Kind: ChannelWeb, Address: h.URL})
	}
	for _, p := range h.Phones {
		out = append(out, Channel{Kind: ChannelPhone, Address: p.Number})
	}
	if h.Email != "" {
		out = append(out, Channel{Kind: ChannelEmail, Address: h.Email})
	}
	if h.XIntake != "" {
		out = append(out, Channel{Kind: ChannelSecureIntake, Address: h.XIntake})
	}
	return out
}

func readAreas(s *Service, areas []hsdsServiceArea) []Problem {
	var ps []Problem
	for _, a := range areas {
		code := strings.TrimPrefix(strings.TrimSpace(a.URI), isoAreaURI)
		switch {
		case a.URI == "" && (strings.EqualFold(a.Name, Anywhere) || strings.EqualFold(a.Name, "Online / anywhere")):
			s.Regions = append(s.Regions, Anywhere)
		case regionPattern.MatchString(strings.ToUpper(code)):
			s.Regions = append(s.Regions, strings.ToUpper(code))
		default:
			ps = append(ps, a.loc.problem("uri", "%q is not an ISO 3166 area; write %sES-MD (or just ES-MD), or leave uri empty and name the area %q", a.URI, isoAreaURI, Anywhere))
		}
	}
	return ps
}

func readSchedules(s *Service, schedules []hsdsSchedule) []Problem {
	var ps []Problem
	var items []string
	for i, sc := range schedules {
		if sc.Freq != "" && !strings.EqualFold(sc.Freq, "WEEKLY") {
			ps = append(ps, sc.loc.problem("freq", "%q is not read here; only WEEKLY schedules are", sc.Freq))
			continue
		}
		if i == 0 {
			s.TimeZone = sc.XTimezone
		} else if sc.XTimezone != s.TimeZone {
			ps = append(ps, sc.loc.problem("x_timezone", "%q differs from the service's first schedule (%q); a service has one time zone", sc.XTimezone, s.TimeZone))
		}
		item, field, err := fromSchedule(schedule{ByDay: sc.ByDay, OpensAt: sc.OpensAt, ClosesAt: sc.ClosesAt})
		if err != nil {
			ps = append(ps, sc.loc.problem(field, "%v", err))
			continue
		}
		if _, err := routing.ParseHours(item, sc.XTimezone, ""); err != nil {
			ps = append(ps, sc.loc.problem("opens_at", "%v", err))
			continue
		}
		items = append(items, item)
	}
	s.Hours = strings.Join(items, "; ")
	return ps
}

func readAttributes(s *Service, attrs []hsdsAttribute) []Problem {
	var ps []Problem
	for _, a := range attrs {
		t, ok := termOf(a)
		if !ok {
			continue // another taxonomy's term (a 211 code, say): accepted, not kept
		}
		switch t.TaxonomyID {
		case TaxonomyAudience:
			if !slices.Contains(Audiences, Audience(t.Code)) {
				ps = append(ps, a.loc.problem("taxonomy_term.code", "%q is not an audience; write self, young, other or professional", t.Code))
				continue
			}
			s.Audiences = append(s.Audiences, Audience(t.Code))
		case TaxonomyKind:
			if !slices.Contains(Kinds, Kind(t.Code)) {
				ps = append(ps, a.loc.problem("taxonomy_term.code", "%q is not a kind; write therapy, helpline, self_help, group, legal_advice or crisis", t.Code))
				continue
			}
			s.Kinds = append(s.Kinds, Kind(t.Code))
		case TaxonomyChannel:
			if t.Code != string(ChannelInPerson) {
				ps = append(ps, a.loc.problem("taxonomy_term.code", "%q is not read here; only in_person (with the place as value) is", t.Code))
				continue
			}
			s.Channels = append(s.Channels, Channel{Kind: ChannelInPerson, Address: a.Value})
		}
	}
	return ps
}

// termOf is the attribute's term: nested, or else known from its id alone
// when the id is one of ours ("helpline-audience-self").
func termOf(a hsdsAttribute) (hsdsTerm, bool) {
	if a.TaxonomyTerm != nil {
		return *a.TaxonomyTerm, true
	}
	for _, taxonomy := range []string{TaxonomyAudience, TaxonomyKind, TaxonomyChannel} {
		if code, ok := strings.CutPrefix(a.TaxonomyTermID, taxonomy+"-"); ok {
			return hsdsTerm{ID: a.TaxonomyTermID, Code: code, TaxonomyID: taxonomy}, true
		}
	}
	return hsdsTerm{}, false
}
