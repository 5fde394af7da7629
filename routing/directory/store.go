package directory

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned for an id the store does not have.
var ErrNotFound = errors.New("directory: no such service or organisation")

// Store keeps organisations and services. MemoryStore and PostgresStore both
// pass store_test.go. Services are stored normalised (see Service.normalize)
// and come back in id order.
type Store interface {
	// PutOrganization creates or replaces an organisation.
	PutOrganization(ctx context.Context, o Organization) error
	Organizations(ctx context.Context) ([]Organization, error)
	// PutService creates or replaces a service, and lists it again if it
	// was deleted. Its organisation must exist (else ErrNotFound).
	PutService(ctx context.Context, s Service) error
	// Service returns one service, deleted or not.
	Service(ctx context.Context, id string) (Service, error)
	// Services lists services; deleted ones only when includeDeleted.
	Services(ctx context.Context, includeDeleted bool) ([]Service, error)
	// DeleteService soft-deletes a listed service (ErrNotFound if none).
	DeleteService(ctx context.Context, id string, at time.Time) error
	// Import creates or replaces all of orgs and services at once, or
	// none of them if anything fails.
	Import(ctx context.Context, orgs []Organization, services []Service) error
}
