package riskflag

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"helpline/chat"
)

// ListInfo describes one stored version of a list.
type ListInfo struct {
	Name      string    `json:"name"`
	Version   string    `json:"version"`
	CreatedBy int64     `json:"created_by"` // 0: shipped or read from HELPLINE_RISK_PHRASES_DIR
	CreatedAt time.Time `json:"created_at"`
}

// StoredList is one version of a list as kept.
type StoredList struct {
	ListInfo
	File File
}

// ListStore keeps every version of every list; versions are never changed
// or removed (flags name the version they matched). Both stores pass
// library_test.go.
type ListStore interface {
	// Add stores a version; added is false (and nothing changes) when the
	// list already has a version of that name.
	Add(ctx context.Context, l StoredList) (added bool, err error)
	// Revision changes whenever any list gets a version: the cheap check
	// each instance makes.
	Revision(ctx context.Context) (int64, error)
	// Current returns the newest version of each list, by name.
	Current(ctx context.Context) ([]StoredList, error)
	// Versions describes a list's versions, newest first.
	Versions(ctx context.Context, name string) ([]ListInfo, error)
}

// Auditor writes the audit log (counselors.Service implements it).
type Auditor interface {
	Record(ctx context.Context, actorID int64, action, target, detail string) error
}

// checkTimeout bounds one check for a new version.
const checkTimeout = 2 * time.Second

// AuditListSave is the audit action of a new version of a list.
const AuditListSave = "phrases.save"

// Library is the set of lists as admins edit them: the loaded lists
// (shipped, or from HELPLINE_RISK_PHRASES_DIR) are stored as versions, an
// admin's edit is a new version of one list, and the newest version of
// each is matched, on every instance: Matcher checks the store's revision
// at most every interval and recompiles when it changed.
type Library struct {
	store ListStore
	audit Auditor
	every time.Duration
	now   func() time.Time
	log   *slog.Logger

	mu       sync.Mutex
	matcher  *Matcher
	revision int64
	checked  time.Time
}

// LibraryConfig builds a Library.
type LibraryConfig struct {
	Store ListStore
	Audit Auditor
	// Loaded are the lists read at start (Load): each version the store
	// has not seen is stored as its list's newest (a new file or a new
	// release is a deliberate change), the others leave the store as it is.
	Loaded []*List
	// Every is how often Matcher asks the store whether a list changed
	// (0: on every call).
	Every time.Duration
	Now   func() time.Time
	Log   *slog.Logger
}

// NewLibrary stores the loaded lists' versions the store lacks and
// compiles the newest of each.
func NewLibrary(ctx context.Context, cfg LibraryConfig) (*Library, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	l := &Library{store: cfg.Store, audit: cfg.Audit, every: cfg.Every, now: cfg.Now, log: cfg.Log}
	at := cfg.Now().UTC().Truncate(time.Microsecond)
	for _, list := range cfg.Loaded {
		if _, err := cfg.Store.Add(ctx, StoredList{ListInfo{Name: list.Name, Version: list.Version, CreatedAt: at}, list.Source()}); err != nil {
			return nil, fmt.Errorf("storing risk phrase list %s %s: %w", list.Name, list.Version, err)
		}
	}
	if err := l.reload(ctx); err != nil {
		return nil, fmt.Errorf("reading the risk phrase lists: %w", err)
	}
	return l, nil
}

// reload compiles the newest versions; call with l.mu held or before l is shared.
func (l *Library) reload(ctx context.Context) error {
	rev, err := l.store.Revision(ctx)
	if err != nil {
		return err
	}
	if l.matcher != nil && rev == l.revision {
		l.checked = l.now()
		return nil
	}
	current, err := l.store.Current(ctx)
	if err != nil {
		return err
	}
	lists := make([]*List, 0, len(current))
	for _, c := range current {
		b, _ := json.Marshal(c.File)
		list, err := Parse(c.Name, b)
		if err != nil {
			return fmt.Errorf("stored list %s %s: %w", c.Name, c.Version, err)
		}
		lists = append(lists, list)
	}
	l.matcher, l.revision, l.checked = NewMatcher(lists), rev, l.now()
	return nil
}

// Matcher is the matcher of the newest versions. When the store cannot be
// asked, the last lists known go on matching (and it asks again next time).
func (l *Library) Matcher(ctx context.Context) *Matcher {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.now().Sub(l.checked) >= l.every {
		// A database that does not answer must not hold up the flags: a
		// short wait, then the lists known, and the next try an interval on.
		check, cancel := context.WithTimeout(ctx, checkTimeout)
		defer cancel()
		if err := l.reload(check); err != nil {
			l.checked = l.now()
			l.log.Warn("checking the risk phrase lists for a new version failed; matching with the lists known", "error", err)
		}
	}
	return l.matcher
}

// Lists returns the newest version of each list (for an admin's view).
func (l *Library) Lists(ctx context.Context, p chat.Principal) ([]*List, error) {
	if p.Role != chat.RoleAdmin {
		return nil, chat.ErrNotFound
	}
	l.mu.Lock()
	l.checked = time.Time{}
	l.mu.Unlock()
	return l.Matcher(ctx).Lists(), nil
}

// Versions describes a list's versions, newest first.
func (l *Library) Versions(ctx context.Context, p chat.Principal, name string) ([]ListInfo, error) {
	if p.Role != chat.RoleAdmin {
		return nil, chat.ErrNotFound
	}
	list, err := l.store.Versions(ctx, name)
	if err != nil {
		return nil, chat.Errorf(chat.CodeUnavailable, "the phrase lists cannot be reached right now")
	}
	if len(list) == 0 {
		return nil, chat.Errorf(chat.CodeNotFound, "there is no phrase list %q", name)
	}
	return list, nil
}

// Save stores f as a new version of list name (a new list when there is
// none of that name), named by the server (the day and a number), and
// matches with it from then on, on every instance at its next check.
// basedOn is the version the admin edited: when another was saved since,
// CodeConflict. The same categories as the current version save nothing
// (created false). Only admins; audited first.
func (l *Library) Save(ctx context.Context, p chat.Principal, name, basedOn string, f File) (*List, bool, error) {
	if p.Role != chat.RoleAdmin {
		return nil, false, chat.ErrNotFound
	}
	if err := CheckEdit(&f); err != nil {
		return nil, false, chat.Errorf(chat.CodeInvalid, "%s", err)
	}
	versions, err := l.store.Versions(ctx, name)
	if err != nil {
		return nil, false, chat.Errorf(chat.CodeUnavailable, "the phrase lists cannot be reached right now")
	}
	if len(versions) > 0 && versions[0].Version != basedOn {
		return nil, false, chat.Errorf(chat.CodeConflict, "list %s was changed since you opened it (now version %s); reload it and make your change again", name, versions[0].Version)
	}
	if len(versions) > 0 {
		l.mu.Lock()
		l.checked = time.Time{} // compare with the newest, whatever the interval
		l.mu.Unlock()
		if cur := l.current(ctx, name); cur != nil && sameCategories(cur.Source(), f) {
			return cur, false, nil
		}
	}
	at := l.now().UTC().Truncate(time.Microsecond)
	f.Version = fmt.Sprintf("%s.%d", at.Format(time.DateOnly), len(versions)+1)
	b, _ := json.Marshal(f)
	list, err := Parse(name, b)
	if err != nil {
		return nil, false, chat.Errorf(chat.CodeInvalid, "%s", err)
	}
	if err := l.audit.Record(ctx, p.StaffID, AuditListSave, "phrases:"+name+":"+f.Version, "based on "+basedOn); err != nil {
		return nil, false, chat.Errorf(chat.CodeUnavailable, "the new list could not be recorded in the audit log, so it was not saved; try again in a moment")
	}
	added, err := l.store.Add(ctx, StoredList{ListInfo{Name: name, Version: f.Version, CreatedBy: p.StaffID, CreatedAt: at}, f})
	if err != nil {
		return nil, false, chat.Errorf(chat.CodeUnavailable, "the phrase lists cannot be reached right now")
	}
	if !added {
		return nil, false, chat.Errorf(chat.CodeConflict, "another admin saved list %s at the same moment; reload it and make your change again", name)
	}
	l.mu.Lock()
	l.checked = time.Time{} // match with it here at once
	l.mu.Unlock()
	l.Matcher(ctx)
	return list, true, nil
}

func (l *Library) current(ctx context.Context, name string) *List {
	for _, list := range l.Matcher(ctx).Lists() {
		if list.Name == name {
			return list
		}
	}
	return nil
}

func sameCategories(a, b File) bool {
	x, _ := json.Marshal(a.Categories)
	y, _ := json.Marshal(b.Categories)
	return a.Language == b.Language && string(x) == string(y)
}

func copyFile(f File) File {
	b, _ := json.Marshal(f)
	var out File
	_ = json.Unmarshal(b, &out)
	return out
}
