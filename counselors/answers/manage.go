package answers

import (
	"context"
	"time"

	"helpline/chat"
)

// Filter narrows the shared answers a supervisor or admin manages: a
// language, a scope (service or team) and team, the words of a search
// (as Visible matches them) and whether retired ones are listed too.
type Filter struct {
	Language string
	Scope    Scope
	Team     string
	Query    string
	Retired  bool
}

var errNotManager = chat.Errorf(chat.CodeNotFound, "only supervisors and admins manage shared answers")

// Shared lists the shared answers (service and team, never anyone's own)
// that match f, for a supervisor or admin managing them.
func (s *Service) Shared(ctx context.Context, st Staff, f Filter) ([]Answer, error) {
	if !st.managesShared() {
		return nil, errNotManager
	}
	all, err := s.store.List(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	words := queryWords(f.Query)
	out := []Answer{}
	for _, a := range all {
		switch {
		case a.Scope == ScopeOwn, a.Retired() && !f.Retired,
			f.Language != "" && a.Language != f.Language,
			f.Scope != "" && a.Scope != f.Scope,
			f.Team != "" && a.Team != f.Team,
			!matches(a, words):
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// Retire takes a shared answer out of the counsellors' search; it stays,
// and Reinstate brings it back. Both are audited first; doing either twice
// is done. Counsellors retire nothing (they delete their own).
func (s *Service) Retire(ctx context.Context, st Staff, id string) (Answer, error) {
	return s.setRetired(ctx, st, id, true)
}

// Reinstate brings a retired shared answer back into the search.
func (s *Service) Reinstate(ctx context.Context, st Staff, id string) (Answer, error) {
	return s.setRetired(ctx, st, id, false)
}

func (s *Service) setRetired(ctx context.Context, st Staff, id string, retire bool) (Answer, error) {
	if !st.managesShared() {
		return Answer{}, errNotManager
	}
	a, err := s.store.Get(ctx, id)
	if err != nil {
		return Answer{}, unavailable(err)
	}
	if a.Scope == ScopeOwn {
		return Answer{}, chat.ErrNotFound // someone's own answer is theirs alone
	}
	if a.Retired() == retire {
		return a, nil
	}
	action := AuditReinstate
	a.RetiredAt = time.Time{}
	if retire {
		action, a.RetiredAt = AuditRetire, s.now().UTC().Truncate(time.Microsecond)
	}
	if err := s.audit.Record(ctx, st.ID, action, "answer:"+id, string(a.Scope)+" "+a.Language); err != nil {
		return Answer{}, errNotAudited
	}
	if err := s.store.Put(ctx, a); err != nil {
		return Answer{}, unavailable(err)
	}
	return a, nil
}
