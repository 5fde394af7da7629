// Package migrations holds the PostgreSQL schema as numbered SQL files,
// embedded in the binary, and applies them with goose. Several instances may
// start at once: a PostgreSQL advisory lock lets one apply while the others
// wait, then find nothing left to do.
//
// Text sealed under HELPLINE_ENCRYPTION_KEYS is stored as a bytea column
// (nonce || ciphertext) with the id of its key in a text column beside it,
// named key_id (or <column>_key_id when a table holds more than one). A
// migration that adds such a column adds it to chat.SealedColumns too, so
// that key rotation re-seals it; a test fails until it does.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// Up applies every migration not yet applied to the database behind pool.
func Up(ctx context.Context, pool *pgxpool.Pool) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, files, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrations: applying schema: %w", err)
	}
	return nil
}

// Schema tells whether a database's schema is current, for readiness checks.
type Schema struct {
	db       *sql.DB
	provider *goose.Provider
}

// NewSchema returns a Schema reading the database behind pool.
func NewSchema(pool *pgxpool.Pool) (*Schema, error) {
	db := stdlib.OpenDBFromPool(pool)
	provider, err := goose.NewProvider(goose.DialectPostgres, db, files)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Schema{db: db, provider: provider}, nil
}

// Behind tells whether the database's version is older than the newest
// embedded migration: this binary expects tables or columns it lacks.
func (s *Schema) Behind(ctx context.Context) (bool, error) {
	current, target, err := s.provider.GetVersions(ctx)
	if err != nil {
		return false, fmt.Errorf("migrations: reading the schema version: %w", err)
	}
	return current < target, nil
}

// Close releases the Schema (not the pool).
func (s *Schema) Close() error { return s.db.Close() }
