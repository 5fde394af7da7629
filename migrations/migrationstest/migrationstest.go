// Package migrationstest gives tests a freshly migrated PostgreSQL schema of
// their own, on the local test database (see URL).
package migrationstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	neturl "net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/migrations"
)

// DefaultURL is the local PostgreSQL the README and CI assume.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	probeOnce sync.Once
	probeErr  error
)

// URL returns the test database URL (HELPLINE_TEST_DATABASE_URL, else
// DefaultURL). When that database cannot be reached the test is skipped, or
// fails if HELPLINE_REQUIRE_DB=1 (as .ci/run sets): a green run that skipped
// the database tests would prove nothing.
func URL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("HELPLINE_TEST_DATABASE_URL")
	if url == "" {
		url = DefaultURL
	}
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			conn.Close(ctx)
		}
		probeErr = err
	})
	if probeErr != nil {
		msg := fmt.Sprintf("PostgreSQL not reachable at %s (%v); start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set HELPLINE_TEST_DATABASE_URL",
			redacted(url), probeErr)
		if os.Getenv("HELPLINE_REQUIRE_DB") == "1" {
			tb.Fatal(msg)
		}
		Skipped("database", msg+"; HELPLINE_REQUIRE_DB=1 makes this a failure")
		tb.Skip(msg)
	}
	return url
}

// redacted is u without its password, fit to print.
func redacted(u string) string {
	parsed, err := neturl.Parse(u)
	if err != nil || parsed.Scheme == "" {
		return "HELPLINE_TEST_DATABASE_URL"
	}
	return parsed.Redacted()
}

// MustOpen creates a new schema, migrates it and returns a pool whose
// connections use it. The schema is dropped when tb ends. The returned URL
// points at the same schema, for tests that start whole servers.
func MustOpen(tb testing.TB) (*pgxpool.Pool, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := URL(tb)

	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connecting to the test database: %v (is PostgreSQL running? see README)", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("creating schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})

	url := withSearchPath(tb, base, schema)
	pool := MustPool(tb, url)
	if err := migrations.Up(ctx, pool); err != nil {
		tb.Fatal(err)
	}
	return pool, url
}

// MustPool opens a pool on url and closes it when tb ends.
func MustPool(tb testing.TB, url string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func withSearchPath(tb testing.TB, base, schema string) string {
	if _, err := pgx.ParseConfig(base); err != nil || !strings.Contains(base, "://") {
		tb.Fatalf("HELPLINE_TEST_DATABASE_URL must be a postgres:// URL: %v", err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
