package counselors

import (
	"context"
	"sort"
	"sync"
	"time"

	"helpline/chat"
)

var _ Store = (*MemoryStore)(nil)

// MemoryStore keeps accounts in memory: for the zero-setup server and tests.
type MemoryStore struct {
	mu       sync.Mutex
	accounts map[int64]Account
	sessions map[string]Session
	audit    []AuditEntry
	nextID   int64
	failures map[string]signInFailures
}

type signInFailures struct {
	count int
	until time.Time
}

func NewMemoryStore() *MemoryStore {
	return &MemoryStore{accounts: map[int64]Account{}, sessions: map[string]Session{}, failures: map[string]signInFailures{}}
}

func (s *MemoryStore) CreateAccount(_ context.Context, a Account) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, other := range s.accounts {
		if other.Username == a.Username {
			return Account{}, chat.Errorf(chat.CodeConflict, "username %q is taken", a.Username)
		}
	}
	s.nextID++
	a.ID = s.nextID
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now().UTC()
	}
	s.accounts[a.ID] = a
	return a, nil
}

func (s *MemoryStore) Account(_ context.Context, id int64) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return Account{}, ErrNoAccount
	}
	return a, nil
}

func (s *MemoryStore) AccountByUsername(_ context.Context, username string) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if a.Username == username {
			return a, nil
		}
	}
	return Account{}, ErrNoAccount
}

func (s *MemoryStore) ListAccounts(_ context.Context) ([]Account, error) {
	s.mu.Lock()
	out := make([]Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, a)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *MemoryStore) SetDisabled(_ context.Context, id int64, disabled bool, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return ErrNoAccount
	}
	a.DisabledAt = time.Time{}
	if disabled {
		a.DisabledAt = at
	}
	s.accounts[id] = a
	return nil
}

func (s *MemoryStore) SetTOTPSecret(_ context.Context, id int64, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return ErrNoAccount
	}
	a.TOTPSecret = secret
	s.accounts[id] = a
	return nil
}

func (s *MemoryStore) SetMaxCapacity(_ context.Context, id int64, maxCapacity int) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return Account{}, ErrNoAccount
	}
	a.MaxCapacity, a.Capacity = maxCapacity, min(a.Capacity, maxCapacity)
	s.accounts[id] = a
	return a, nil
}

func (s *MemoryStore) CreateSession(_ context.Context, sess Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sess.ID] = sess
	return nil
}

func (s *MemoryStore) Session(_ context.Context, id string) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return Session{}, ErrNoAccount
	}
	return sess, nil
}

func (s *MemoryStore) RevokeSessions(_ context.Context, staffID int64, sessionID string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, sess := range s.sessions {
		if sess.StaffID == staffID && (sessionID == "" || id == sessionID) && sess.RevokedAt.IsZero() {
			sess.RevokedAt = at
			s.sessions[id] = sess
		}
	}
	return nil
}

func (s *MemoryStore) AppendAudit(_ context.Context, e AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.ID = int64(len(s.audit) + 1)
	s.audit = append(s.audit, e)
	return nil
}

func (s *MemoryStore) Audit(_ context.Context, limit int) ([]AuditEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AuditEntry
	for i := len(s.audit) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, s.audit[i])
	}
	return out, nil
}

func (s *MemoryStore) AddSignInFailure(_ context.Context, username string, at time.Time, lockFor time.Duration) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, f := range s.failures {
		if !f.until.After(at) && name != username {
			delete(s.failures, name) // past its lock time: guessed usernames do not pile up
		}
	}
	f := s.failures[username]
	if !f.until.After(at) {
		f.count = 0
	}
	f.count++
	f.until = at.Add(lockFor)
	s.failures[username] = f
	return f.count, nil
}

func (s *MemoryStore) SignInFailures(_ context.Context, username string, at time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.failures[username]; f.until.After(at) {
		return f.count, nil
	}
	return 0, nil
}

func (s *MemoryStore) ClearSignInFailures(_ context.Context, username string) error {
	s.mu.Lock()
	delete(s.failures, username)
	s.mu.Unlock()
	return nil
}

func (s *MemoryStore) UpdateProfile(_ context.Context, in Account) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[in.ID]
	if !ok {
		return Account{}, ErrNoAccount
	}
	a.DisplayName, a.Role, a.Capacity = in.DisplayName, in.Role, in.Capacity
	a.Languages, a.Audiences = append([]string(nil), in.Languages...), append([]string(nil), in.Audiences...)
	s.accounts[in.ID] = a
	return a, nil
}

func (s *MemoryStore) SetPasswordHash(_ context.Context, id int64, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return ErrNoAccount
	}
	a.PasswordHash = hash
	s.accounts[id] = a
	return nil
}

func (s *MemoryStore) SearchAudit(_ context.Context, f AuditFilter) ([]AuditEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AuditEntry
	for i := len(s.audit) - 1; i >= 0 && len(out) < f.Limit; i-- {
		if f.Matches(s.audit[i]) {
			out = append(out, s.audit[i])
		}
	}
	return out, nil
}
