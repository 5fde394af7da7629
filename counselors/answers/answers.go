package answers

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"helpline/chat"
)

// Scope says who sees an answer.
type Scope string

const (
	ScopeService Scope = "service" // every counsellor
	ScopeTeam    Scope = "team"    // the counsellors of one team (an audience they are trained for)
	ScopeOwn     Scope = "own"     // one counsellor only
)

// Limits on what an answer holds.
const (
	MaxTitle = 80
	MaxBody  = 2000
	MaxTags  = 8
	MaxTag   = 24
)

// Answer is one prepared answer.
type Answer struct {
	ID        string    `json:"id"`
	Language  string    `json:"language"`
	Scope     Scope     `json:"scope"`
	Team      string    `json:"team,omitempty"` // ScopeTeam: the audience ("self", "young", "other")
	OwnerID   int64     `json:"-"`              // ScopeOwn: the counsellor
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Tags      []string  `json:"tags"`
	UpdatedAt time.Time `json:"updated_at"`
	// RetiredAt, when set, takes a shared answer out of the counsellors'
	// search; it stays for supervisors and admins to see and bring back.
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

// Retired tells whether the answer has been retired.
func (a Answer) Retired() bool { return !a.RetiredAt.IsZero() }

// Store keeps answers. Put replaces the answer with the same id.
type Store interface {
	Put(ctx context.Context, a Answer) error
	Get(ctx context.Context, id string) (Answer, error) // chat.ErrNotFound when there is none
	Delete(ctx context.Context, id string) error        // deleting nothing is not an error
	List(ctx context.Context) ([]Answer, error)         // every answer, by title
}

// Auditor writes the audit log (counselors.Service implements it).
type Auditor interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// Audit actions.
const (
	AuditSave      = "answer.save"
	AuditDelete    = "answer.delete"
	AuditRetire    = "answer.retire"
	AuditReinstate = "answer.reinstate"
)

// Staff is who asks: their account id, role and the teams (audiences) they
// belong to.
type Staff struct {
	ID        int64
	Role      chat.Role
	Audiences []string
}

func (s Staff) managesShared() bool { return s.Role == chat.RoleSupervisor || s.Role == chat.RoleAdmin }

// Service is the rule for prepared answers.
type Service struct {
	store Store
	audit Auditor
	now   chat.Clock
}

// New returns the service; now nil is time.Now.
func New(store Store, audit Auditor, now chat.Clock) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, audit: audit, now: now}
}

// Visible returns the answers st may use, in language lang ("" any),
// matching every word of query in the title, body or tags (case and accents
// ignored), shared ones first.
func (s *Service) Visible(ctx context.Context, st Staff, lang, query string) ([]Answer, error) {
	all, err := s.store.List(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	words := queryWords(query)
	out := []Answer{}
	for _, a := range all {
		if a.Retired() || !sees(st, a) || (lang != "" && a.Language != lang) || !matches(a, words) {
			continue
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(x, y Answer) int { return rank(x) - rank(y) })
	return out, nil
}

func rank(a Answer) int {
	switch a.Scope {
	case ScopeOwn:
		return 2
	case ScopeTeam:
		return 1
	}
	return 0
}

// sees: shared answers of the service, of a team st belongs to (supervisors
// and admins see every team's, to manage them), and st's own.
func sees(st Staff, a Answer) bool {
	switch a.Scope {
	case ScopeService:
		return true
	case ScopeTeam:
		return st.managesShared() || slices.Contains(st.Audiences, a.Team)
	}
	return a.OwnerID == st.ID
}

func queryWords(query string) []string { return strings.Fields(fold(query)) }

func matches(a Answer, words []string) bool {
	hay := fold(a.Title + " " + a.Body + " " + strings.Join(a.Tags, " "))
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

var accents = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ü", "u", "ñ", "n", "à", "a", "è", "e", "ò", "o", "ç", "c")

func fold(s string) string { return accents.Replace(strings.ToLower(s)) }

// Save creates or replaces answer a (by its id, which the client chooses, so
// that a retry saves once). Counsellors save only their own; supervisors and
// admins also the shared ones. Someone else's answer is "not found".
func (s *Service) Save(ctx context.Context, st Staff, a Answer) (Answer, error) {
	if err := validate(&a); err != nil {
		return Answer{}, err
	}
	if a.Scope == ScopeOwn {
		a.OwnerID = st.ID
	} else if !st.managesShared() {
		return Answer{}, chat.Errorf(chat.CodeNotFound, "only supervisors and admins manage shared answers")
	}
	was, err := s.store.Get(ctx, a.ID)
	switch {
	case err == nil && !mayChange(st, was):
		return Answer{}, chat.ErrNotFound
	case err != nil && chat.ErrorCode(err) != chat.CodeNotFound:
		return Answer{}, unavailable(err)
	}
	a.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
	a.RetiredAt = was.RetiredAt // an edit does not bring a retired answer back
	if err := s.audit.Record(ctx, st.ID, AuditSave, "answer:"+a.ID, string(a.Scope)+" "+a.Language); err != nil {
		return Answer{}, errNotAudited
	}
	if err := s.store.Put(ctx, a); err != nil {
		return Answer{}, unavailable(err)
	}
	return a, nil
}

// Delete removes an answer st may change; deleting one already gone is done.
func (s *Service) Delete(ctx context.Context, st Staff, id string) error {
	was, err := s.store.Get(ctx, id)
	if chat.ErrorCode(err) == chat.CodeNotFound {
		return nil
	}
	if err != nil {
		return unavailable(err)
	}
	if !mayChange(st, was) {
		return chat.ErrNotFound
	}
	if err := s.audit.Record(ctx, st.ID, AuditDelete, "answer:"+id, string(was.Scope)+" "+was.Language); err != nil {
		return errNotAudited
	}
	return unavailable(s.store.Delete(ctx, id))
}

func mayChange(st Staff, a Answer) bool {
	if a.Scope == ScopeOwn {
		return a.OwnerID == st.ID
	}
	return st.managesShared()
}

var errNotAudited = chat.Errorf(chat.CodeUnavailable, "the change could not be recorded in the audit log, so it was not made; try again in a moment")

func unavailable(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*chat.Error); ok {
		return err
	}
	return chat.Errorf(chat.CodeUnavailable, "prepared answers cannot be reached right now")
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func validate(a *Answer) error {
	a.Title, a.Body = strings.TrimSpace(a.Title), strings.TrimSpace(a.Body)
	switch {
	case !idPattern.MatchString(a.ID):
		return chat.Errorf(chat.CodeInvalid, "id: 1 to 64 letters, digits, - or _")
	case a.Language == "" || len(a.Language) > 8:
		return chat.Errorf(chat.CodeInvalid, "language: a language code such as es")
	case a.Scope != ScopeService && a.Scope != ScopeTeam && a.Scope != ScopeOwn:
		return chat.Errorf(chat.CodeInvalid, "scope: service, team or own")
	case a.Scope == ScopeTeam && !chat.Audience(a.Team).Valid() || a.Scope == ScopeTeam && a.Team == "":
		return chat.Errorf(chat.CodeInvalid, "team: self, young or other")
	case a.Title == "" || utf8.RuneCountInString(a.Title) > MaxTitle:
		return chat.Errorf(chat.CodeInvalid, "title: 1 to %d characters", MaxTitle)
	case a.Body == "" || utf8.RuneCountInString(a.Body) > MaxBody:
		return chat.Errorf(chat.CodeInvalid, "body: 1 to %d characters", MaxBody)
	case len(a.Tags) > MaxTags:
		return chat.Errorf(chat.CodeInvalid, "at most %d tags", MaxTags)
	}
	if a.Scope != ScopeTeam {
		a.Team = ""
	}
	tags := []string{}
	for _, t := range a.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || utf8.RuneCountInString(t) > MaxTag {
			return chat.Errorf(chat.CodeInvalid, "each tag: 1 to %d characters", MaxTag)
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	a.Tags = tags
	return nil
}

var placeholder = regexp.MustCompile(`\{\{\s*([^{}\s]{1,40})\s*\}\}`)

// Placeholders returns the names of the {{placeholders}} left in text, in
// order, each once. The console refuses to send a message holding one; the
// server offers the same rule for other clients.
func Placeholders(text string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}
