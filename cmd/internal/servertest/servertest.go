// Package servertest starts the real server on a free loopback port for
// tests, on either store.
package servertest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/alexedwards/argon2id"

	"helpline/chat"
	"helpline/cmd/internal/server"
	"helpline/counselors"
	"helpline/migrations/migrationstest"
)

// Stores names the stores every end-to-end test runs against.
var Stores = []string{"memory", "postgres"}

// Server is a running test server.
type Server struct {
	*server.Server
	URL string
	Log *SafeBuffer // everything the server logged
}

// Options adjust a test server.
type Options struct {
	DatabaseURL string // share one database between instances (postgres only)
	Env         map[string]string
}

// Start runs a server on store ("memory" or "postgres") until tb ends.
func Start(tb testing.TB, store string, opts ...Options) *Server {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	env := map[string]string{"HELPLINE_ADDR": "127.0.0.1:0", "HELPLINE_DEMO": "false", "HELPLINE_LOG_LEVEL": "debug",
		// Tests start many conversations from one address (one test turns the
		// limit back on); most drive assignment by hand, so counsellors pick
		// and seekers may arrive before any counsellor signs in. Routing tests
		// set offer mode and these back.
		"HELPLINE_STARTS_PER_MINUTE": "0", "HELPLINE_SIGNINS_PER_MINUTE": "0", "HELPLINE_ROUTING": "pick", "HELPLINE_REQUIRE_COUNSELOR": "false",
		// Tests close servers often; the drain test sets a delay of its own.
		"HELPLINE_DRAIN_DELAY": "0s"}
	if store == "postgres" {
		if o.DatabaseURL == "" {
			_, o.DatabaseURL = migrationstest.MustOpen(tb)
		}
		env["DATABASE_URL"] = o.DatabaseURL
		env["HELPLINE_ENCRYPTION_KEYS"] = TestEncryptionKey
		env["HELPLINE_TOKEN_KEYS"] = TestTokenKey
	}
	for k, v := range o.Env {
		env[k] = v
	}
	cfg, err := server.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		tb.Fatal(err)
	}
	logs := &SafeBuffer{}
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	// Cheap password hashing: tests sign many accounts in, often under -race.
	srv.Staff.SetHashParams(&argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return &Server{Server: srv, URL: "http://" + ln.Addr().String(), Log: logs}
}

// Keys shared by every test server, so that two instances on one database
// read each other's data and tokens.
var (
	TestEncryptionKey = chat.NewKey("t1")
	TestTokenKey      = chat.NewKey("t1")
)

// MustAccount creates a staff account and returns its password.
func (s *Server) MustAccount(tb testing.TB, username, name string, role chat.Role, capacity int) string {
	tb.Helper()
	password := "correct horse battery " + username
	if _, err := s.Staff.AddAccount(context.Background(), counselors.NewAccount{Username: username, DisplayName: name,
		Role: role, Password: password, Capacity: capacity}, 0); err != nil {
		tb.Fatal(err)
	}
	return password
}

// Skills are a counsellor's languages and trained audiences.
type Skills struct {
	Languages []string
	Audiences []string
}

// MustCounselor creates a counsellor with skills and returns their password.
func (s *Server) MustCounselor(tb testing.TB, username string, capacity int, skills Skills) string {
	tb.Helper()
	password := "correct horse battery " + username
	if _, err := s.Staff.AddAccount(context.Background(), counselors.NewAccount{Username: username, DisplayName: "Consejero " + username,
		Role: chat.RoleCounselor, Password: password, Capacity: capacity, Languages: skills.Languages, Audiences: skills.Audiences}, 0); err != nil {
		tb.Fatal(err)
	}
	return password
}

// SafeBuffer is a bytes.Buffer safe for concurrent writes.
type SafeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SafeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SafeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
