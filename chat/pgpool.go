package chat

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"
)

// PostgresPool is the pool every PostgreSQL store (chat, counselors,
// routing) queries through: the same pgxpool.Pool, except that a database
// that cannot be reached comes back as a CodeUnavailable error (the client
// is told to retry; the cause stays for the log) instead of an internal one.
type PostgresPool struct{ *pgxpool.Pool }

func (p PostgresPool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := p.Pool.Exec(ctx, sql, args...)
	return tag, postgresFailure(err)
}

func (p PostgresPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := p.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, postgresFailure(err)
	}
	return classifiedRows{rows}, nil
}

func (p PostgresPool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return classifiedRow{p.Pool.QueryRow(ctx, sql, args...)}
}

func (p PostgresPool) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := p.Pool.Begin(ctx)
	return tx, postgresFailure(err)
}

type classifiedRow struct{ pgx.Row }

func (r classifiedRow) Scan(dest ...any) error { return postgresFailure(r.Row.Scan(dest...)) }

type classifiedRows struct{ pgx.Rows }

func (r classifiedRows) Err() error { return postgresFailure(r.Rows.Err()) }

// postgresFailure is the one classification of PostgreSQL errors: a
// database that is unreachable (refused, reset, timed out, shutting down,
// the pool closed) becomes unavailable; anything else (no rows, a broken
// constraint, a bug) is returned unchanged.
func postgresFailure(err error) error {
	if err == nil || !unreachable(err) {
		return err
	}
	return unavailable(err)
}

func unreachable(err error) bool {
	var (
		connect *pgconn.ConnectError
		netErr  net.Error
		pgErr   *pgconn.PgError
	)
	switch {
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01-57P03: the server is
		// shutting down or starting; 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" || pgErr.Code == "53300"
	case errors.As(err, &connect), errors.As(err, &netErr), pgconn.Timeout(err):
		return true
	}
	return errors.Is(err, puddle.ErrClosedPool) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, context.DeadlineExceeded)
}
