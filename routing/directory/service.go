package directory

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"helpline/routing"
)

// Audience is who a service is for. The first three are the audience names
// the rest of the service uses for a seeker (chat.Audience).
type Audience string

const (
	AudienceSelf         Audience = "self"         // adults worried about their own thoughts or behaviour
	AudienceYoung        Audience = "young"        // young people
	AudienceOther        Audience = "other"        // family and friends worried about someone else
	AudienceProfessional Audience = "professional" // professionals asking for advice
)

// Audiences lists every audience, in the order they are shown and exported.
var Audiences = []Audience{AudienceSelf, AudienceYoung, AudienceOther, AudienceProfessional}

// Kind is what a service offers.
type Kind string

const (
	KindTherapy  Kind = "therapy"
	KindHelpline Kind = "helpline"
	KindSelfHelp Kind = "self_help" // a self-help programme
	KindGroup    Kind = "group"
	KindLegal    Kind = "legal_advice"
	KindCrisis   Kind = "crisis"
)

// Kinds lists every kind, in the order they are shown and exported.
var Kinds = []Kind{KindTherapy, KindHelpline, KindSelfHelp, KindGroup, KindLegal, KindCrisis}

// ChannelKind is a way to reach a service.
type ChannelKind string

const (
	ChannelWeb          ChannelKind = "web"           // Address is a URL
	ChannelPhone        ChannelKind = "phone"         // Address is a number
	ChannelEmail        ChannelKind = "email"         // Address is an email address
	ChannelInPerson     ChannelKind = "in_person"     // Address is where to go
	ChannelSecureIntake ChannelKind = "secure_intake" // Address is the partner's intake URL (https)
)

// ChannelKinds lists every channel kind.
var ChannelKinds = []ChannelKind{ChannelWeb, ChannelPhone, ChannelEmail, ChannelInPerson, ChannelSecureIntake}

// Channel is one way to reach a service.
type Channel struct {
	Kind    ChannelKind `json:"kind"`
	Address string      `json:"address"`
}

// Status is whether a service takes people now.
type Status string

const (
	StatusActive            Status = "active"
	StatusTemporarilyClosed Status = "temporarily closed"
	StatusInactive          Status = "inactive"
)

// Anywhere, as a region, means the service is online or open to anyone
// wherever they are.
const Anywhere = "anywhere"

// Text is a translated field: language code → text. Which language stands in
// for a missing one is the service's Fallback.
type Text map[string]string

// In returns the text in lang, else in fallback, else "".
func (t Text) In(lang, fallback string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	return t[fallback]
}

// Organization runs services.
type Organization struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Service is one local intervention service in the directory.
type Service struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	// Fallback is the language shown when a text has no translation in the
	// reader's language; Name and Description must have it.
	Fallback    string `json:"fallback"`
	Name        Text   `json:"name"`
	Description Text   `json:"description"`
	Cost        Text   `json:"cost,omitempty"`
	// Regions are ISO 3166-1 alpha-2 country codes ("ES"), ISO 3166-2
	// subdivision codes ("ES-MD") or Anywhere.
	Regions   []string   `json:"regions"`
	Audiences []Audience `json:"audiences"`
	Kinds     []Kind     `json:"kinds"`
	Languages []string   `json:"languages"` // ISO 639-1 codes, "es"
	// MinAge and MaxAge bound who may use it; 0 is no bound.
	MinAge   int       `json:"min_age,omitempty"`
	MaxAge   int       `json:"max_age,omitempty"`
	Channels []Channel `json:"channels"`
	// Hours are opening hours in routing.ParseHours' form ("mon-fri
	// 09:00-17:00"), in TimeZone; "" means not known.
	Hours               string    `json:"hours,omitempty"`
	TimeZone            string    `json:"time_zone,omitempty"`
	AcceptsWarmReferral bool      `json:"accepts_warm_referral"`
	Status              Status    `json:"status"`
	VerifiedOn          string    `json:"verified_on,omitempty"` // YYYY-MM-DD, when someone last checked it
	UpdatedAt           time.Time `json:"updated_at"`
	DeletedAt           time.Time `json:"deleted_at,omitzero"` // soft delete; zero while listed
}

// Deleted reports whether the service was soft-deleted.
func (s Service) Deleted() bool { return !s.DeletedAt.IsZero() }

// OpeningHours parses Hours; ok is false when they are not known.
func (s Service) OpeningHours() (h routing.Hours, ok bool, err error) {
	if strings.TrimSpace(s.Hours) == "" {
		return routing.Hours{}, false, nil
	}
	h, err = routing.ParseHours(s.Hours, s.TimeZone, "")
	return h, err == nil, err
}

// Problem is one thing wrong with a record: where it is and what to do.
type Problem struct {
	File   string // "" for a record not read from a file
	Record string // "line 4", "record 2", or a service id
	Field  string
	Text   string
}

func (p Problem) String() string {
	where := strings.Join(slices.DeleteFunc([]string{p.File, p.Record, p.Field}, func(s string) bool { return s == "" }), ", ")
	return where + ": " + p.Text
}

// Problems is every problem found; its Error lists them one a line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s), nothing was changed:\n%s", len(ps), strings.Join(lines, "\n"))
}

var (
	idPattern       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)
	regionPattern   = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2,3}$`)
	datePattern     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// Check returns what is wrong with o, each problem naming its field.
func (o Organization) Check() []Problem {
	var ps []Problem
	add := func(field, text string) { ps = append(ps, Problem{Field: field, Text: text}) }
	if !idPattern.MatchString(o.ID) {
		add("id", "needs an id of letters, digits, '.', '_', ':' or '-' (at most 100)")
	}
	if strings.TrimSpace(o.Name) == "" {
		add("name", "needs a name")
	}
	if strings.TrimSpace(o.Description) == "" {
		add("description", "needs a description (HSDS requires one)")
	}
	return ps
}

// Check returns what is wrong with s, each problem naming its field.
func (s Service) Check() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Text: fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(s.ID) {
		add("id", "needs an id of letters, digits, '.', '_', ':' or '-' (at most 100)")
	}
	if s.OrganizationID == "" {
		add("organization_id", "needs the organisation that runs the service")
	}
	if !languagePattern.MatchString(s.Fallback) {
		add("fallback", "needs the language that stands in for a missing translation, as an ISO 639 code such as es (in HSDS: x_translations.fallback, else the first of languages)")
	} else {
		for field, t := range map[string]Text{"name": s.Name, "description": s.Description} {
			if strings.TrimSpace(t[s.Fallback]) == "" {
				add(field, "needs a text in the fallback language %q", s.Fallback)
			}
		}
	}
	for field, t := range map[string]Text{"name": s.Name, "description": s.Description, "cost": s.Cost} {
		for lang := range t {
			if !languagePattern.MatchString(lang) {
				add(field, "%q is not a language code; write e.g. es or en", lang)
			}
		}
	}
	ps = append(ps, s.checkLists()...)
	if s.MinAge < 0 || s.MaxAge < 0 || s.MaxAge > 0 && s.MaxAge < s.MinAge {
		add("maximum_age", "ages must be 0 or more, and the maximum at least the minimum")
	}
	ps = append(ps, s.checkChannels()...)
	if _, _, err := s.OpeningHours(); err != nil {
		add("hours", "%v", err)
	}
	if !slices.Contains([]Status{StatusActive, StatusTemporarilyClosed, StatusInactive}, s.Status) {
		add("status", "%q is not a status; write active, temporarily closed or inactive", s.Status)
	}
	if s.VerifiedOn != "" {
		if _, err := time.Parse(time.DateOnly, s.VerifiedOn); err != nil || !datePattern.MatchString(s.VerifiedOn) {
			add("assured_date", "%q is not a date; write YYYY-MM-DD", s.VerifiedOn)
		}
	}
	return ps
}

func (s Service) checkLists() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Text: fmt.Sprintf(format, args...)})
	}
	if len(s.Regions) == 0 {
		add("service_areas", "needs at least one region: an ISO 3166 code such as ES or ES-MD, or %q", Anywhere)
	}
	for _, r := range s.Regions {
		if r != Anywhere && !regionPattern.MatchString(r) {
			add("service_areas", "%q is not a region; write an ISO 3166-1 code (ES), an ISO 3166-2 code (ES-MD) or %q", r, Anywhere)
		}
	}
	if len(s.Audiences) == 0 {
		add("audiences", "needs at least one audience: self, young, other or professional")
	}
	for _, a := range s.Audiences {
		if !slices.Contains(Audiences, a) {
			add("audiences", "%q is not an audience; write self, young, other or professional", a)
		}
	}
	for _, k := range s.Kinds {
		if !slices.Contains(Kinds, k) {
			add("kinds", "%q is not a kind; write therapy, helpline, self_help, group, legal_advice or crisis", k)
		}
	}
	if len(s.Languages) == 0 {
		add("languages", "needs at least one language the service is given in")
	}
	for _, l := range s.Languages {
		if !languagePattern.MatchString(l) {
			add("languages", "%q is not a language code; write e.g. es or en", l)
		}
	}
	return ps
}

func (s Service) checkChannels() []Problem {
	var ps []Problem
	seen := map[ChannelKind]int{}
	for _, c := range s.Channels {
		seen[c.Kind]++
		switch {
		case !slices.Contains(ChannelKinds, c.Kind):
			ps = append(ps, Problem{Field: "channels", Text: fmt.Sprintf("%q is not a channel; write web, phone, email, in_person or secure_intake", c.Kind)})
		case strings.TrimSpace(c.Address) == "":
			ps = append(ps, Problem{Field: string(c.Kind), Text: "needs an address (a URL, number, email or place)"})
		case c.Kind == ChannelSecureIntake && !strings.HasPrefix(c.Address, "https://"):
			ps = append(ps, Problem{Field: "x_intake", Text: "a secure intake address must start with https://"})
		case c.Kind == ChannelEmail && !strings.Contains(c.Address, "@"):
			ps = append(ps, Problem{Field: "email", Text: fmt.Sprintf("%q is not an email address", c.Address)})
		}
	}
	// HSDS has one url, one email and one intake per service.
	for _, k := range []ChannelKind{ChannelWeb, ChannelEmail, ChannelSecureIntake} {
		if seen[k] > 1 {
			ps = append(ps, Problem{Field: string(k), Text: "a service has at most one " + string(k) + " channel"})
		}
	}
	return ps
}

// normalize puts s in the one form the stores keep, so that a service read
// back, exported and imported compares equal: lists sorted and without
// repeats, hours in canonical form.
func (s *Service) normalize() {
	sortUnique(&s.Regions)
	sortUnique(&s.Audiences)
	sortUnique(&s.Kinds)
	sortUnique(&s.Languages)
	slices.SortStableFunc(s.Channels, func(a, b Channel) int {
		return slices.Index(ChannelKinds, a.Kind) - slices.Index(ChannelKinds, b.Kind)
	})
	if h, ok, err := s.OpeningHours(); ok && err == nil {
		s.Hours = FormatHours(h)
	}
	for _, t := range []*Text{&s.Name, &s.Description, &s.Cost} {
		for k, v := range *t {
			if v == "" {
				delete(*t, k)
			}
		}
		if len(*t) == 0 {
			*t = nil
		}
	}
	s.UpdatedAt = s.UpdatedAt.UTC().Truncate(time.Microsecond)
	s.DeletedAt = s.DeletedAt.UTC().Truncate(time.Microsecond)
}

func sortUnique[T ~string](list *[]T) {
	slices.Sort(*list)
	*list = slices.Compact(*list)
	if len(*list) == 0 {
		*list = nil
	}
}
