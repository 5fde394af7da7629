package wrapup

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"time"

	"helpline/chat"
)

// FormInfo describes one stored version of the form.
type FormInfo struct {
	Version   string    `json:"version"`
	CreatedBy int64     `json:"created_by"` // 0: the deployment's file
	CreatedAt time.Time `json:"created_at"`
}

// FormStore keeps every version of the form; versions are never changed
// or removed, since wrap-ups name the one they were written with. Both
// stores pass forms_test.go.
type FormStore interface {
	// Add stores f as the newest version; added is false (and nothing
	// changes) when a version of that name is already stored.
	Add(ctx context.Context, f Form, info FormInfo) (added bool, err error)
	// Newest is the newest version's name, "" when none: the cheap check
	// each instance makes to pick up a new version.
	Newest(ctx context.Context) (string, error)
	// Get returns a version; chat.ErrNotFound when there is none.
	Get(ctx context.Context, version string) (Form, error)
	// List describes every version, newest first.
	List(ctx context.Context) ([]FormInfo, error)
}

// AuditForm is the audit action of a new version of the form.
const AuditForm = "wrapup.form"

// forms is the service's view of the versions: the current one, checked
// against the store at most every interval, and the older ones it has read
// (immutable, so kept).
type forms struct {
	store FormStore
	every time.Duration

	mu      sync.Mutex
	current Form
	checked time.Time
	byName  map[string]Form
}

// UseVersions makes the form editable and versioned in store: the form s
// was made with is stored as the newest version unless a version of its
// name is there already (a deployment's new file is a deliberate change),
// and from then on the newest stored version is the current one, checked
// at most every interval (0: on every use), so that a version saved on
// another instance takes effect without a restart.
func (s *Service) UseVersions(ctx context.Context, store FormStore, every time.Duration) error {
	if _, err := store.Add(ctx, s.form, FormInfo{Version: s.form.Version, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}); err != nil {
		return fmt.Errorf("storing the wrap-up form %s: %w", s.form.Version, err)
	}
	fs := &forms{store: store, every: every, byName: map[string]Form{}}
	newest, err := store.Newest(ctx)
	if err != nil {
		return fmt.Errorf("reading the wrap-up form's versions: %w", err)
	}
	if fs.current, err = store.Get(ctx, newest); err != nil {
		return fmt.Errorf("reading the wrap-up form %s: %w", newest, err)
	}
	fs.checked = s.now()
	s.versions = fs
	return nil
}

// currentForm is the form new wrap-ups are written with. When the store
// cannot be asked, the last one known stays current.
func (s *Service) currentForm(ctx context.Context) Form {
	fs := s.versions
	if fs == nil {
		return s.form
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	now := s.now()
	if now.Sub(fs.checked) < fs.every {
		return fs.current
	}
	newest, err := fs.store.Newest(ctx)
	if err == nil && newest != fs.current.Version {
		var f Form
		if f, err = fs.store.Get(ctx, newest); err == nil {
			fs.current = f
		}
	}
	fs.checked = now // after a failure too: the next try an interval on, the form known meanwhile
	return fs.current
}

// formOf returns version v of the form.
func (s *Service) formOf(ctx context.Context, v string) (Form, error) {
	cur := s.currentForm(ctx)
	if v == cur.Version || v == "" {
		return cur, nil
	}
	fs := s.versions
	if fs == nil {
		return Form{}, chat.Errorf(chat.CodeNotFound, "the wrap-up form has no version %q", v)
	}
	fs.mu.Lock()
	f, ok := fs.byName[v]
	fs.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := fs.store.Get(ctx, v)
	if chat.ErrorCode(err) == chat.CodeNotFound {
		return Form{}, chat.Errorf(chat.CodeNotFound, "the wrap-up form has no version %q", v)
	}
	if err != nil {
		return Form{}, unavailable(err)
	}
	fs.mu.Lock()
	fs.byName[v] = f
	fs.mu.Unlock()
	return f, nil
}

// FormVersion returns version v of the form ("": the current one), for
// staff showing a wrap-up written with it.
func (s *Service) FormVersion(ctx context.Context, p chat.Principal, v string) (Form, error) {
	if !p.Role.IsStaff() {
		return Form{}, chat.ErrNotFound
	}
	f, err := s.formOf(ctx, v)
	return copyForm(f), err // the caller may change it; the cache stays as stored
}

// FormVersions describes every version, newest first (admins).
func (s *Service) FormVersions(ctx context.Context, p chat.Principal) ([]FormInfo, error) {
	if p.Role != chat.RoleAdmin {
		return nil, chat.ErrNotFound
	}
	if s.versions == nil {
		return []FormInfo{{Version: s.form.Version}}, nil
	}
	list, err := s.versions.store.List(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	return list, nil
}

var errNotVersioned = chat.Errorf(chat.CodeUnavailable, "this deployment's wrap-up form is fixed; it cannot be edited here")

// SaveForm stores fields as a new version of the form, named by the
// server (the day and a number), and makes it current on every instance.
// basedOn is the version the admin edited: when another was saved since,
// CodeConflict (reload and edit again). Fields equal to the current
// version's save nothing and return it (created false). Only admins; the
// change is audited first.
func (s *Service) SaveForm(ctx context.Context, p chat.Principal, basedOn string, fields []Field) (Form, bool, error) {
	if p.Role != chat.RoleAdmin {
		return Form{}, false, chat.ErrNotFound
	}
	if s.versions == nil {
		return Form{}, false, errNotVersioned
	}
	s.versions.mu.Lock()
	s.versions.checked = time.Time{} // read the newest now, whatever the interval
	s.versions.mu.Unlock()
	cur := s.currentForm(ctx)
	if basedOn != cur.Version {
		return Form{}, false, chat.Errorf(chat.CodeConflict, "the form was changed since you opened it (now version %s); reload it and make your change again", cur.Version)
	}
	if sameFields(cur.Fields, fields) {
		return cur, false, nil
	}
	all, err := s.versions.store.List(ctx)
	if err != nil {
		return Form{}, false, unavailable(err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	next := copyForm(Form{Version: fmt.Sprintf("%s.%d", now.Format(time.DateOnly), len(all)+1), Fields: fields})
	if err := next.Validate(); err != nil {
		return Form{}, false, chat.Errorf(chat.CodeInvalid, "%s", err)
	}
	if err := s.keysStable(ctx, all, next); err != nil {
		return Form{}, false, err
	}
	if err := s.audit.Record(ctx, p.StaffID, AuditForm, "wrapup_form:"+next.Version, "based on "+basedOn); err != nil {
		return Form{}, false, chat.Errorf(chat.CodeUnavailable, "the new form could not be recorded in the audit log, so it was not saved; try again in a moment")
	}
	added, err := s.versions.store.Add(ctx, next, FormInfo{Version: next.Version, CreatedBy: p.StaffID, CreatedAt: now})
	if err != nil {
		return Form{}, false, unavailable(err)
	}
	if !added {
		return Form{}, false, chat.Errorf(chat.CodeConflict, "another admin saved the form at the same moment; reload it and make your change again")
	}
	s.versions.mu.Lock()
	s.versions.current, s.versions.checked = next, s.now()
	s.versions.mu.Unlock()
	return next, true, nil
}

func sameFields(a, b []Field) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y) || reflect.DeepEqual(a, b)
}

// keysStable refuses a new version that gives an answer already counted a
// different shape: an option that had a second level in an earlier version
// keeps one, and one without keeps none, so that "category/online" and
// "category/online/viewing_images" never both count one thing. (Keys are
// what reports count: labels may change freely, a key keeps its meaning.)
func (s *Service) keysStable(ctx context.Context, earlier []FormInfo, next Form) error {
	for _, info := range earlier {
		old, err := s.formOf(ctx, info.Version)
		if err != nil {
			return err
		}
		for _, fd := range next.Fields {
			was, ok := old.field(fd.ID)
			if !ok {
				continue
			}
			for _, o := range fd.Options {
				for _, w := range was.Options {
					if w.ID == o.ID && (len(w.Children) > 0) != (len(o.Children) > 0) {
						return chat.Errorf(chat.CodeInvalid, "%s/%s: version %s had it %s; keep it so, or give the new option a new code",
							fd.ID, o.ID, info.Version, map[bool]string{true: "with a second level", false: "without a second level"}[len(w.Children) > 0])
					}
				}
			}
		}
	}
	return nil
}
