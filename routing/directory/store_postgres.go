package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var _ Store = (*PostgresStore)(nil)

// PostgresStore keeps the directory in PostgreSQL (migration 00006).
type PostgresStore struct {
	pool *pgxpool.Pool
}

// NewPostgresStore returns a store on pool, whose schema is migrated.
func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore { return &PostgresStore{pool: pool} }

// querier is what a pool and a transaction share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func (p *PostgresStore) PutOrganization(ctx context.Context, o Organization) error {
	return putOrganization(ctx, p.pool, o)
}

func putOrganization(ctx context.Context, q querier, o Organization) error {
	_, err := q.Exec(ctx, `INSERT INTO directory_organizations (id, name, description) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description`, o.ID, o.Name, o.Description)
	if err != nil {
		return fmt.Errorf("directory: storing organisation %s: %w", o.ID, err)
	}
	return nil
}

func (p *PostgresStore) Organizations(ctx context.Context) ([]Organization, error) {
	rows, err := p.pool.Query(ctx, `SELECT id, name, description FROM directory_organizations ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("directory: listing organisations: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Organization, error) {
		var o Organization
		err := r.Scan(&o.ID, &o.Name, &o.Description)
		return o, err
	})
}

func (p *PostgresStore) PutService(ctx context.Context, s Service) error {
	return putService(ctx, p.pool, s)
}

func putService(ctx context.Context, q querier, s Service) error {
	s = clone(s)
	s.DeletedAt = time.Time{}
	s.normalize()
	body, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("directory: encoding service %s: %w", s.ID, err)
	}
	_, err = q.Exec(ctx, `INSERT INTO directory_services (id, organization_id, status, updated_at, deleted_at, body)
		VALUES ($1, $2, $3, $4, NULL, $5)
		ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, status = excluded.status,
			updated_at = excluded.updated_at, deleted_at = NULL, body = excluded.body`,
		s.ID, s.OrganizationID, s.Status, s.UpdatedAt, body)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation
		return fmt.Errorf("service %s: organisation %q: %w", s.ID, s.OrganizationID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("directory: storing service %s: %w", s.ID, err)
	}
	return nil
}

const serviceColumns = `body, deleted_at`

func scanService(r pgx.CollectableRow) (Service, error) {
	var body []byte
	var deleted *time.Time
	if err := r.Scan(&body, &deleted); err != nil {
		return Service{}, err
	}
	var s Service
	if err := json.Unmarshal(body, &s); err != nil {
		return Service{}, fmt.Errorf("directory: reading a stored service: %w", err)
	}
	s.DeletedAt = time.Time{}
	if deleted != nil {
		s.DeletedAt = deleted.UTC()
	}
	s.UpdatedAt = s.UpdatedAt.UTC()
	return s, nil
}

func (p *PostgresStore) Service(ctx context.Context, id string) (Service, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+serviceColumns+` FROM directory_services WHERE id = $1`, id)
	if err != nil {
		return Service{}, fmt.Errorf("directory: reading service %s: %w", id, err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, scanService)
	if errors.Is(err, pgx.ErrNoRows) {
		return Service{}, ErrNotFound
	}
	return s, err
}

func (p *PostgresStore) Services(ctx context.Context, includeDeleted bool) ([]Service, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+serviceColumns+` FROM directory_services
		WHERE $1 OR deleted_at IS NULL ORDER BY id COLLATE "C"`, includeDeleted)
	if err != nil {
		return nil, fmt.Errorf("directory: listing services: %w", err)
	}
	return pgx.CollectRows(rows, scanService)
}

func (p *PostgresStore) DeleteService(ctx context.Context, id string, at time.Time) error {
	tag, err := p.pool.Exec(ctx, `UPDATE directory_services SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL`, id, at.UTC())
	if err != nil {
		return fmt.Errorf("directory: deleting service %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

func (p *PostgresStore) Import(ctx context.Context, orgs []Organization, services []Service) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		for _, o := range orgs {
			if err := putOrganization(ctx, tx, o); err != nil {
				return err
			}
		}
		for _, s := range services {
			if err := putService(ctx, tx, s); err != nil {
				return err
			}
		}
		return nil
	})
}
