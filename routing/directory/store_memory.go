package directory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryStore keeps the directory in memory, for demo mode and tests.
type MemoryStore struct {
	mu       sync.Mutex
	orgs     map[string]Organization
	services map[string]Service
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{orgs: map[string]Organization{}, services: map[string]Service{}}
}

func (m *MemoryStore) PutOrganization(_ context.Context, o Organization) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.orgs[o.ID] = o
	return nil
}

func (m *MemoryStore) Organizations(context.Context) ([]Organization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Collect(maps.Values(m.orgs))
	slices.SortFunc(out, func(a, b Organization) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (m *MemoryStore) PutService(_ context.Context, s Service) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.putService(s)
}

func (m *MemoryStore) putService(s Service) error {
	if _, ok := m.orgs[s.OrganizationID]; !ok {
		return fmt.Errorf("service %s: organisation %q: %w", s.ID, s.OrganizationID, ErrNotFound)
	}
	s = clone(s)
	s.DeletedAt = time.Time{}
	s.normalize()
	m.services[s.ID] = s
	return nil
}

func (m *MemoryStore) Service(_ context.Context, id string) (Service, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.services[id]
	if !ok {
		return Service{}, ErrNotFound
	}
	return clone(s), nil
}

func (m *MemoryStore) Services(_ context.Context, includeDeleted bool) ([]Service, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Service
	for _, s := range m.services {
		if includeDeleted || !s.Deleted() {
			out = append(out, clone(s))
		}
	}
	slices.SortFunc(out, func(a, b Service) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (m *MemoryStore) DeleteService(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.services[id]
	if !ok || s.Deleted() {
		return ErrNotFound
	}
	s.DeletedAt = at.UTC().Truncate(time.Microsecond)
	m.services[id] = s
	return nil
}

func (m *MemoryStore) Import(_ context.Context, orgs []Organization, services []Service) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	savedOrgs, savedServices := maps.Clone(m.orgs), maps.Clone(m.services)
	for _, o := range orgs {
		m.orgs[o.ID] = o
	}
	for _, s := range services {
		if err := m.putService(s); err != nil {
			m.orgs, m.services = savedOrgs, savedServices
			return err
		}
	}
	return nil
}

// clone copies s deeply, so a caller's changes never reach the store.
func clone(s Service) Service {
	s.Name, s.Description, s.Cost = maps.Clone(s.Name), maps.Clone(s.Description), maps.Clone(s.Cost)
	s.Regions, s.Audiences, s.Kinds = slices.Clone(s.Regions), slices.Clone(s.Audiences), slices.Clone(s.Kinds)
	s.Languages, s.Channels = slices.Clone(s.Languages), slices.Clone(s.Channels)
	return s
}
