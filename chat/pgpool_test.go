package chat_test

import (
	"context"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
	"helpline/counselors"
	"helpline/migrations/migrationstest"
	"helpline/routing"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Every PostgreSQL store reports a database it cannot reach, or a pool that
// is closed, as "unavailable" (the client retries), never as "internal".
func TestPostgresStoresReportAnUnreachableDatabaseAsUnavailable(t *testing.T) {
	ctx := context.Background()
	refused, err := pgxpool.New(ctx, "postgres://postgres@"+closedPort(t)+"/test?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	closed, _ := migrationstest.MustOpen(t)
	closed.Close()
	for name, pool := range map[string]*pgxpool.Pool{"connection refused": refused, "pool closed": closed} {
		t.Run(name, func(t *testing.T) {
			_, err := chat.NewPostgresStore(pool, MustSealer(t), nil).CreateConversation(ctx, chat.NewConversation{})
			assertUnavailable(t, "chat: create a conversation", err)
			_, err = chat.NewPostgresStore(pool, MustSealer(t), nil).Waiting(ctx)
			assertUnavailable(t, "chat: list waiting conversations", err)
			_, err = counselors.NewPostgresStore(pool).AccountByUsername(ctx, "someone")
			assertUnavailable(t, "counselors: find an account", err)
			err = counselors.NewPostgresStore(pool).CreateSession(ctx, counselors.Session{ID: chat.NewID(), StaffID: 1})
			assertUnavailable(t, "counselors: start a session", err)
			_, err = routing.NewPostgresStore(pool).Members(ctx)
			assertUnavailable(t, "routing: list the team", err)
		})
	}
}

func assertUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if code := chat.ErrorCode(err); code != chat.CodeUnavailable {
		t.Errorf("%s: error %v has code %q, want %q", what, err, code, chat.CodeUnavailable)
	}
	if msg := chat.PublicMessage(err); msg == "" || len(msg) > 80 {
		t.Errorf("%s: public message %q", what, msg)
	}
}

// A database that answers keeps its own errors: "not found" stays "not found".
func TestPostgresStoresKeepTheDatabasesOwnAnswers(t *testing.T) {
	pool, _ := migrationstest.MustOpen(t)
	_, err := counselors.NewPostgresStore(pool).AccountByUsername(context.Background(), "nobody")
	if code := chat.ErrorCode(err); code != chat.CodeNotFound {
		t.Fatalf("an unknown username: code %q (%v), want not_found", code, err)
	}
}
