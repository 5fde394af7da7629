package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"helpline/chat"
	"helpline/counselors"
	"helpline/migrations"
	"helpline/routing"
	"helpline/routing/directory"
	"helpline/web"
)

// Server is one running instance of the service.
type Server struct {
	Config  Config
	Log     *slog.Logger
	Chat    *chat.Service
	Staff   *counselors.Service
	Handler http.Handler
	// Metrics serves /metrics; it is mounted on its own listener, never on
	// the public one.
	Metrics http.Handler

	// Directory is the referral directory; its changes are audited in Staff.
	Directory *directory.Directory

	pool      *pgxpool.Pool
	retention chat.Retention
	rotator   interface {
		RotateKeys(context.Context) (int, error)
	}
	http      *http.Server
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open builds a server from cfg: connects to and migrates PostgreSQL when
// configured, else uses memory stores and says so loudly on out.
func Open(ctx context.Context, cfg Config, log *slog.Logger, out io.Writer) (*Server, error) {
	texts, err := web.LoadTexts(cfg.TextsDir, cfg.DefaultLanguage)
	if err != nil {
		return nil, err
	}
	languages := map[string]bool{}
	for _, code := range texts.Codes() {
		languages[code] = true
	}
	s := &Server{Config: cfg, Log: log, done: make(chan struct{})}

	var (
		chatStore  chat.Store
		staffStore counselors.Store
		broker     chat.Broker
		routes     routing.Store
		services   directory.Store
		tokenKeys  = cfg.TokenKeys
	)
	if cfg.DatabaseURL != "" {
		seal, err := chat.ParseKeys(cfg.EncryptionKeys)
		if err != nil {
			return nil, fmt.Errorf("HELPLINE_ENCRYPTION_KEYS: %w", err)
		}
		poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		if !strings.Contains(cfg.DatabaseURL, "pool_max_conns") {
			// pgxpool's default (4 on a 2-core machine) is too few for the
			// batch writers, the event listener, the routing leader and
			// requests at once; a URL's pool_max_conns still wins.
			poolCfg.MaxConns = 12
		}
		if s.pool, err = pgxpool.NewWithConfig(ctx, poolCfg); err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		if err := s.pool.Ping(ctx); err != nil {
			s.pool.Close()
			return nil, fmt.Errorf("cannot reach PostgreSQL at DATABASE_URL: %w", err)
		}
		if err := migrations.Up(ctx, s.pool); err != nil {
			s.pool.Close()
			return nil, err
		}
		pg := chat.NewPostgresStore(s.pool, seal, nil)
		chatStore, s.retention, s.rotator = pg, pg, pg
		staffStore = counselors.NewPostgresStore(s.pool)
		broker = chat.NewPostgresBroker(s.pool, log)
		routes = routing.NewPostgresStore(s.pool)
		services = directory.NewPostgresStore(s.pool)
	} else {
		log.Warn("NO DATABASE_URL: running on an IN-MEMORY store. Nothing survives a restart and only one instance can run. Set DATABASE_URL for real use.")
		fmt.Fprintln(out, "\n  *** In-memory mode: conversations and accounts vanish when the server stops. Set DATABASE_URL for real use. ***")
		mem := chat.NewMemoryStore(nil)
		chatStore, s.retention, staffStore, broker = mem, mem, counselors.NewMemoryStore(), chat.NewMemoryBroker()
		routes = routing.NewMemoryStore()
		services = directory.NewMemoryStore()
		if tokenKeys == "" {
			tokenKeys = chat.NewKey("mem")
		}
	}
	tokens, err := chat.NewTokens(tokenKeys, nil)
	if err != nil {
		s.closePool()
		return nil, fmt.Errorf("HELPLINE_TOKEN_KEYS: %w", err)
	}
	s.Staff = counselors.NewService(staffStore, tokens, broker, cfg.StaffTokenTTL, nil, log)
	s.Directory = directory.New(services, s.Staff, nil)
	// Heartbeats come several times within the shortest grace time, so a
	// connected person is never taken for gone.
	heartbeat := min(max(min(cfg.CounselorGrace, cfg.SeekerGrace)/4, 100*time.Millisecond), 10*time.Second)
	maxQueue := cfg.MaxQueue
	router := routing.New(routing.Config{Heartbeat: heartbeat, Mode: cfg.Routing, OfferTimeout: cfg.OfferTimeout,
		Misses: routing.MissPolicy{MaxMisses: cfg.MaxMisses}, CounselorGrace: cfg.CounselorGrace, SeekerGrace: cfg.SeekerGrace,
		Hours: cfg.Hours, MaxQueue: maxQueue, RequireCounselor: cfg.RequireCounselor, Log: log}, routes, chatStore)
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.Metrics = promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
	s.Chat = chat.NewService(chat.Config{Metrics: chat.NewMetrics(registry), Store: chatStore, Broker: broker, Router: router, Tokens: tokens, Staff: s.Staff, Log: log,
		SeekerTokenTTL: cfg.SeekerTokenTTL, Languages: languages, OriginPatterns: cfg.AllowedOrigins, Heartbeat: heartbeat})
	router.Attach(s.Chat)
	s.Handler = web.NewHandler(web.Config{Chat: s.Chat, Staff: s.Staff, Texts: texts, Log: log,
		RetentionDays: cfg.RetentionDays, ExitURL: cfg.ExitURL, HSTS: cfg.HSTS, StartsPerMinute: cfg.StartsPerMinute,
		SignInsPerMinute: cfg.SignInsPerMinute})

	if cfg.DatabaseURL == "" && cfg.Demo {
		if err := s.addDemoAccounts(ctx, out); err != nil {
			return nil, err
		}
		if err := directory.LoadSample(ctx, s.Directory); err != nil {
			return nil, fmt.Errorf("loading the sample directory: %w", err)
		}
	}
	return s, nil
}

func (s *Server) addDemoAccounts(ctx context.Context, out io.Writer) error {
	fmt.Fprintln(out, "  Demo sign-in for the counsellor console (/console), valid until the server stops:")
	for _, d := range []struct {
		user, name string
		role       chat.Role
	}{{"counselor", "Alex", chat.RoleCounselor}, {"supervisor", "Sam", chat.RoleSupervisor}, {"admin", "Admin", chat.RoleAdmin}} {
		password := s.Config.DemoPassword
		if password == "" {
			password = randomPassword()
		}
		if _, err := s.Staff.AddAccount(ctx, counselors.NewAccount{Username: d.user, DisplayName: d.name, Role: d.role,
			Password: password, Capacity: 3}, 0); err != nil {
			return err
		}
		fmt.Fprintf(out, "    %-10s  username %-10s  password %s\n", d.role, d.user, password)
	}
	fmt.Fprintln(out)
	return nil
}

func randomPassword() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Serve answers requests on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		s.Chat.Run(ctx)
	}()
	go chat.RunRetention(ctx, s.retention, s.Config.RetentionDays, time.Hour, time.Now, func(n int, err error) {
		if err != nil {
			s.Log.Error("deleting expired conversations failed; will retry", "error", err)
		} else if n > 0 {
			s.Log.Info("deleted expired conversations", "count", n, "retention_days", s.Config.RetentionDays)
		}
	})
	s.http = &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: log.New(addressScrubber{s.Log}, "", 0)}
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops accepting, tells every WebSocket client to reconnect (1001),
// waits for stored work to finish, and closes the database.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	var err error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = s.http.Shutdown(ctx)
	}
	s.Chat.Shutdown()
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	s.closePool()
	return err
}

func (s *Server) closePool() {
	if s.pool != nil {
		s.pool.Close()
	}
}

// NewLogger returns the JSON logger the server uses.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// RotateKeys re-seals stored messages with the current encryption key.
func (s *Server) RotateKeys(ctx context.Context) (int, error) {
	if s.rotator == nil {
		return 0, errors.New("key rotation needs DATABASE_URL")
	}
	return s.rotator.RotateKeys(ctx)
}

// addressPattern matches IPv4 and bracketed IPv6 addresses, with or without
// a port, as net/http writes them in its own error messages.
var addressPattern = regexp.MustCompile(`\[[0-9a-fA-F:.%a-z]+\](:\d+)?|\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b`)

// addressScrubber takes net/http's own error log lines (a bad handshake, a
// broken connection) and logs them with any client address removed.
type addressScrubber struct{ log *slog.Logger }

func (a addressScrubber) Write(p []byte) (int, error) {
	line := addressPattern.ReplaceAllString(strings.TrimSpace(string(p)), "[address]")
	a.log.Warn("http server", "detail", line)
	return len(p), nil
}
