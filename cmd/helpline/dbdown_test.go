package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"helpline/chat"
	"helpline/chat/chatclient"
	"helpline/cmd/internal/servertest"
	"helpline/migrations/migrationstest"
)

// probe answers status and trimmed body of a GET.
func probe(t *testing.T, ctx context.Context, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// startAndLogin try the two POSTs that need the database.
func startAndLogin(ctx context.Context, srv *servertest.Server, password string) (start, login error) {
	start = chatclient.PostJSON(ctx, srv.URL+"/api/seeker/conversations", "",
		map[string]string{"audience": "self", "language": "es", "region": ""}, http.StatusCreated, nil)
	login = chatclient.PostJSON(ctx, srv.URL+"/api/staff/login", "",
		map[string]string{"username": "ana", "password": password}, http.StatusOK, nil)
	return start, login
}

func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	var se *chatclient.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable || se.Code != "unavailable" || se.RetryAfter <= 0 {
		t.Errorf("%s while the database is away: %v, want 503 unavailable with Retry-After", what, err)
		return
	}
	if strings.Contains(se.Body, "127.0.0.1") || strings.Contains(strings.ToLower(se.Body), "dial") {
		t.Errorf("%s: the answer %s shows internals", what, se.Body)
	}
}

// eventually runs try every interval until it returns true or ctx ends.
func eventually(ctx context.Context, interval time.Duration, try func() bool) bool {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for !try() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// While PostgreSQL cannot be reached, starting a conversation and signing in
// answer "unavailable, try again" (503 with Retry-After), not "a bug" (500);
// /readyz says "database" while /healthz stays ok; once the database is
// back, both succeed again and the instance is ready.
func TestDatabaseAwayIsUnavailableThenRecovers(t *testing.T) {
	ctx := testCtx(t)
	_, url := migrationstest.MustOpen(t)
	proxy, proxied := servertest.StartProxy(t, url)
	srv := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: proxied})
	password := srv.MustAccount(t, "ana", "Ana", chat.RoleCounselor, 3)
	if code, body := probe(t, ctx, srv.URL+"/readyz"); code != http.StatusOK || body != "ok" {
		t.Fatalf("/readyz with the database up = %d %q, want 200 ok", code, body)
	}

	proxy.Cut()
	start, login := startAndLogin(ctx, srv, password)
	wantUnavailable(t, "starting a conversation", start)
	wantUnavailable(t, "signing in", login)
	if code, body := probe(t, ctx, srv.URL+"/readyz"); code != http.StatusServiceUnavailable || body != "database" {
		t.Errorf("/readyz with the database away = %d %q, want 503 database", code, body)
	}
	if code, body := probe(t, ctx, srv.URL+"/healthz"); code != http.StatusOK || body != "ok" {
		t.Errorf("/healthz with the database away = %d %q, want 200 ok (the process runs)", code, body)
	}

	proxy.Restore()
	var lastStart, lastLogin error
	if !eventually(ctx, 50*time.Millisecond, func() bool {
		lastStart, lastLogin = startAndLogin(ctx, srv, password)
		return lastStart == nil && lastLogin == nil
	}) {
		t.Fatalf("with the database back: start %v, sign-in %v", lastStart, lastLogin)
	}
	if code, body := probe(t, ctx, srv.URL+"/readyz"); code != http.StatusOK || body != "ok" {
		t.Errorf("/readyz with the database back = %d %q, want 200 ok", code, body)
	}
}

// A database whose schema is behind this binary's migrations is not ready.
func TestMigrationsBehindIsNotReady(t *testing.T) {
	ctx := testCtx(t)
	pool, url := migrationstest.MustOpen(t)
	srv := servertest.Start(t, "postgres", servertest.Options{DatabaseURL: url})
	if code, body := probe(t, ctx, srv.URL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz on a current schema = %d %q, want 200", code, body)
	}
	var version int64
	if err := pool.QueryRow(ctx, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)
		RETURNING version_id`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if code, body := probe(t, ctx, srv.URL+"/readyz"); code != http.StatusServiceUnavailable || body != "migrations" {
		t.Errorf("/readyz with migration %d missing = %d %q, want 503 migrations", version, code, body)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, version); err != nil {
		t.Fatal(err)
	}
	if code, body := probe(t, ctx, srv.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with the schema current again = %d %q, want 200", code, body)
	}
}

// On shutdown /readyz says "draining" while sockets are still open, so a
// load balancer stops sending new visitors before anyone is disconnected;
// then the sockets are told to reconnect (1001).
func TestDrainingIsNotReadyBeforeSocketsClose(t *testing.T) {
	for _, store := range servertest.Stores {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			srv := servertest.Start(t, store, servertest.Options{Env: map[string]string{"HELPLINE_DRAIN_DELAY": "3s"}})
			if code, body := probe(t, ctx, srv.URL+"/readyz"); code != http.StatusOK || body != "ok" {
				t.Fatalf("/readyz before shutdown = %d %q, want 200 ok", code, body)
			}
			s := mustSeeker(t, ctx, srv)
			closed := make(chan error, 1)
			go func() { closed <- srv.Close() }()
			var code int
			var body string
			if !eventually(ctx, 20*time.Millisecond, func() bool {
				code, body = probe(t, ctx, srv.URL+"/readyz")
				return code == http.StatusServiceUnavailable
			}) || body != "draining" {
				t.Fatalf("/readyz while draining = %d %q, want 503 draining", code, body)
			}
			ping(t, ctx, s.Client) // the socket is still open and answered
			if err := <-closed; err != nil {
				t.Fatal(err)
			}
			for {
				if _, err := s.Next(ctx); err != nil {
					if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
						t.Fatalf("after draining the socket ended with %v, want 1001", err)
					}
					return
				}
			}
		})
	}
}
