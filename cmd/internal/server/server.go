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
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"helpline/chat"
	"helpline/chat/flood"
	"helpline/chat/oversight"
	"helpline/chat/riskflag"
	"helpline/chat/wire"
	"helpline/counselors"
	"helpline/counselors/care"
	"helpline/counselors/feedback"
	"helpline/counselors/transparency"
	"helpline/migrations"
	"helpline/routing"
	"helpline/routing/directory"
	"helpline/routing/escalation"
	"helpline/routing/referral"
	"helpline/routing/referral/refer"
	"helpline/routing/supervision"
	"helpline/routing/switchboard"
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
	// RiskFlags flags seeker messages as they are stored (chat/riskflag).
	RiskFlags *riskflag.Service
	// Tools: prepared answers, case notes, wrap-ups (and the wrap-ups'
	// anonymous daily counts, Tools.Wrapups.DailyCounts, for the report).
	Tools web.Tools
	// Escalations: counsellors' calls for a supervisor (routing/escalation).
	Escalations *escalation.Service

	// Switchboard and Supervision serve the supervisor page.
	Switchboard *switchboard.Service
	Supervision *supervision.Service
	// Oversight: who watches a conversation, whispers, join, take-over.
	Oversight *oversight.Service
	// Feedback holds seekers' anonymous feedback; Report builds the
	// transparency report (features add their sections with AddSource).
	Feedback *feedback.Service
	Report   *transparency.Service
	// Referrals: cards and warm referrals in conversations; Outbox and
	// Deliverer send the consented ones to partners.
	Referrals *refer.Service
	Outbox    referral.Store
	Deliverer *referral.Deliverer
	// Care: counsellors' own figures, the exposure cap, break suggestions.
	Care *care.Service
	// PhraseLists are the risk phrase lists' versions, as admins edit them.
	PhraseLists *riskflag.Library
	// Flood is the waiting step for new conversations under a flood.
	Flood *flood.Service

	pool      *pgxpool.Pool
	router    *routing.Router
	schema    *migrations.Schema
	retention chat.Retention
	sealed    sealedStore
	sealer    *chat.Sealer
	// serving guards http and cancel, which Serve sets and Close reads, and
	// stopped, so that a Close that comes first makes a later Serve return.
	serving   sync.Mutex
	stopped   bool
	http      *http.Server
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	draining  atomic.Bool
	notReady  atomic.Pointer[string] // the last readiness answer, to log changes once
}

// Open builds a server from cfg: connects to and migrates PostgreSQL when
// configured, else uses memory stores and says so loudly on out.
func Open(ctx context.Context, cfg Config, log *slog.Logger, out io.Writer) (*Server, error) {
	texts, err := web.LoadTexts(cfg.TextsDir, cfg.DefaultLanguage)
	if err != nil {
		return nil, err
	}
	riskLists, err := riskflag.Load(cfg.RiskPhrasesDir)
	if err != nil {
		return nil, err
	}
	languages := map[string]bool{}
	for _, code := range texts.Codes() {
		languages[code] = true
	}
	s := &Server{Config: cfg, Log: log, done: make(chan struct{})}

	var st stores
	if cfg.DatabaseURL != "" {
		if st, err = s.openPostgres(ctx, cfg, log); err != nil {
			return nil, err
		}
	} else {
		st = s.openMemory(cfg, log, out)
	}
	chatStore := st.chat
	if r, ok := chatStore.(interface{ SetRegions(chat.RegionCoarsener) }); ok {
		r.SetRegions(chat.CoarseRegions(cfg.Report.Regions))
	}
	tokens, err := chat.NewTokens(st.tokenKeys, nil)
	if err != nil {
		s.closePool()
		return nil, fmt.Errorf("HELPLINE_TOKEN_KEYS: %w", err)
	}
	s.Staff = counselors.NewService(st.staff, tokens, st.broker, cfg.StaffTokenTTL, nil, log)
	s.Staff.SetHasher(counselors.NewHasher(cfg.Hashing))
	s.Directory = directory.New(st.services, s.Staff, nil)
	// Heartbeats come several times within the shortest grace time, so a
	// connected person is never taken for gone.
	heartbeat := min(max(min(cfg.CounselorGrace, cfg.SeekerGrace)/4, 100*time.Millisecond), 10*time.Second)
	// The supervisor page: the switchboard's pauses and the breaks, shared
	// on PostgreSQL; the router reads the one and feeds the other.
	pauses, breaks := supervisionStores(s.pool)
	s.Switchboard = switchboard.New(pauses, pusher{s}, s.Staff, languages, nil, log)
	onStatus := func(ctx context.Context, id int64, st routing.Status, at time.Time) {
		s.Supervision.OnStatus(ctx, id, st, at)
		s.careStatus(ctx, id, st)
	}
	router := routing.New(routing.Config{Heartbeat: heartbeat, Mode: cfg.Routing, OfferTimeout: cfg.OfferTimeout,
		Misses: routing.MissPolicy{MaxMisses: cfg.MaxMisses}, CounselorGrace: cfg.CounselorGrace, SeekerGrace: cfg.SeekerGrace,
		Hours: cfg.Hours, MaxQueue: cfg.MaxQueue, RequireCounselor: cfg.RequireCounselor, Log: log,
		Paused: s.Switchboard, OnStatus: onStatus}, st.routes, chatStore)
	registry := s.openMetrics()
	// Risk flags: the observer chat tells of stored seeker text.
	s.RiskFlags = riskflag.New(riskflag.Config{Matcher: riskflag.NewMatcher(riskLists), Store: st.riskFlags, Log: log})
	s.Chat = chat.NewService(chat.Config{Metrics: chat.NewMetrics(registry), Store: chatStore, Broker: st.broker, Router: router, Tokens: tokens, Staff: s.Staff, Log: log,
		SeekerTokenTTL: cfg.SeekerTokenTTL, BlockPause: cfg.BlockPause, Languages: languages, OriginPatterns: cfg.AllowedOrigins, HTTPS: cfg.HSTS, Heartbeat: heartbeat,
		SeekerTexts: s.RiskFlags, WriteWorkers: cfg.StoreWriters, StoreGather: storeGather(cfg)})
	router.SetChat(s.Chat)
	s.RiskFlags.SetChat(s.Chat)
	s.router = router
	s.Staff.OnMaxCapacity(router.SetMaxCapacity)
	// Oversight: the watcher registry hears this instance's watches.
	s.Oversight = oversight.New(oversight.Config{Store: st.oversight, Chat: s.Chat, Audit: s.Staff, Log: log})
	s.Chat.SetWatchTracker(s.Oversight.Registry())
	s.Supervision = supervision.New(supervision.Config{Chat: s.Chat, Store: chatStore, Live: chatStore.(chat.LiveLister), Team: router,
		Pauses: s.Switchboard, Breaks: breaks, Leading: router.Leading, Watchers: watcherNames{s.Oversight}, Log: log})
	s.openReferrals(cfg, st.referral, st.services, texts, log)
	if err := s.openFeatures(ctx, cfg, st, router, texts, log); err != nil {
		s.closePool()
		return nil, err
	}

	if cfg.DatabaseURL == "" && cfg.Demo {
		if err := s.loadDemo(ctx, out); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// openMetrics makes the Prometheus registry, with the Go runtime's and
// the process's collectors, and serves it as s.Metrics.
func (s *Server) openMetrics() *prometheus.Registry {
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.Metrics = promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
	return registry
}

// loadDemo makes the demo accounts and loads the fictional sample
// directory (in-memory mode only).
func (s *Server) loadDemo(ctx context.Context, out io.Writer) error {
	if err := s.addDemoAccounts(ctx, out); err != nil {
		return err
	}
	if err := directory.LoadSample(ctx, s.Directory); err != nil {
		return fmt.Errorf("loading the sample directory: %w", err)
	}
	return nil
}

// openFeatures builds what staff and seekers use beside the conversation
// itself (each a package of its own on chat's doors) and the HTTP handler
// that serves them all.
func (s *Server) openFeatures(ctx context.Context, cfg Config, st stores, router *routing.Router, texts *web.Texts, log *slog.Logger) error {
	chatStore := st.chat
	var err error
	// Seekers' feedback and the transparency report, read from the chat
	// store's anonymous tallies.
	s.Feedback = feedback.New(st.feedback, s.Chat, nil)
	tallies, ok := chatStore.(chat.Tallies)
	if !ok {
		return fmt.Errorf("the chat store %T keeps no report tallies (chat.Tallies)", chatStore)
	}
	if s.Report, err = transparency.New(tallies, s.Feedback, cfg.Report.Policy); err != nil {
		return err
	}
	// Prepared answers, case notes, wrap-ups (counselors/answers, casenotes, wrapup).
	if s.Tools, err = s.openTools(ctx, chatStore); err != nil {
		return err
	}
	if err := s.openAdminTools(ctx); err != nil {
		return err
	}
	s.Escalations = s.openEscalations(cfg, chatStore, router, log)
	// An imminent risk flag opens an escalation by itself (urgency "now").
	s.RiskFlags.SetEscalator(riskEscalations{s.Escalations})
	s.openCare(cfg, chatStore, router, log)
	s.addReportSources()
	s.Flood = s.openFlood(cfg, st.tokenKeys)
	s.Handler = web.NewHandler(web.Config{Tools: s.Tools, Chat: s.Chat, Staff: s.Staff, Texts: texts, Log: log,
		RetentionDays: cfg.RetentionDays, ExitURL: cfg.ExitURL, Alternatives: cfg.Alternatives, HSTS: cfg.HSTS, StartsPerMinute: cfg.StartsPerMinute,
		SignInsPerMinute: cfg.SignInsPerMinute, StartsPerMinuteTotal: cfg.StartsPerMinuteTotal, TrustedProxies: cfg.TrustedProxies,
		Ready: s.ready, RiskFlags: s.RiskFlags, Escalations: s.Escalations, Supervision: s.Supervision, Switchboard: s.Switchboard,
		Oversight: s.Oversight, OnionOrigin: cfg.OnionOrigin, NoJSRefresh: cfg.NoJSRefresh,
		Feedback: s.Feedback, Comments: s.Feedback, Report: s.Report, PublicReport: cfg.Report.Public,
		Referrals: s.Referrals, Directory: s.Directory, Partners: s.Outbox, PartnersAllowHTTP: cfg.ReferralAllowHTTP,
		Care:        s.Care,
		PhraseLists: s.PhraseLists,
		Flood:       s.Flood})

	return nil
}

// supervisionStores are the switchboard's and the breaks' stores: on the
// database when there is one, else in memory.
func supervisionStores(pool *pgxpool.Pool) (switchboard.Store, supervision.BreakStore) {
	if pool != nil {
		return switchboard.NewPostgresStore(pool), supervision.NewPostgresBreaks(pool)
	}
	return switchboard.NewMemoryStore(), supervision.NewMemoryBreaks()
}

// pusher hands pushes to the chat service, which is built after the
// features that push.
type pusher struct{ s *Server }

func (p pusher) Push(ctx context.Context, to chat.Recipients, f wire.Payload) error {
	return p.s.Chat.Push(ctx, to, f)
}

// stores are what a server keeps its state in, and the keys its tokens
// are signed with.
type stores struct {
	chat      chat.Store
	staff     counselors.Store
	broker    chat.Broker
	routes    routing.Store
	services  directory.Store
	riskFlags riskflag.Store
	feedback  feedback.Store
	referral  referralStores
	tokenKeys string

	oversight oversight.Store // whispers, and who watches what
}

// openPostgres connects to and migrates the database at cfg.DatabaseURL,
// and returns the stores on it.
func (s *Server) openPostgres(ctx context.Context, cfg Config, log *slog.Logger) (stores, error) {
	seal, err := chat.ParseKeys(cfg.EncryptionKeys)
	if err != nil {
		return stores{}, fmt.Errorf("HELPLINE_ENCRYPTION_KEYS: %w", err)
	}
	poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return stores{}, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if !strings.Contains(cfg.DatabaseURL, "pool_max_conns") {
		// pgxpool's default (4 on a 2-core machine) is too few for the
		// batch writers, the event listener, the routing leader and
		// requests at once; a URL's pool_max_conns still wins.
		poolCfg.MaxConns = 12
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, poolCfg); err != nil {
		return stores{}, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return stores{}, fmt.Errorf("cannot reach PostgreSQL at DATABASE_URL: %w", err)
	}
	if err := migrations.Up(ctx, s.pool); err != nil {
		s.pool.Close()
		return stores{}, err
	}
	if s.schema, err = migrations.NewSchema(s.pool); err != nil {
		s.pool.Close()
		return stores{}, err
	}
	pg := chat.NewPostgresStore(s.pool, seal, nil)
	s.retention, s.sealed, s.sealer = pg, pg, seal
	broker := chat.NewPostgresBroker(s.pool, log)
	broker.SetOrigin(pg.NotifyOrigin()) // this instance hands its own commits to its connections
	return stores{chat: pg, staff: counselors.NewPostgresStore(s.pool), broker: broker,
		routes: routing.NewPostgresStore(s.pool), services: directory.NewPostgresStore(s.pool), tokenKeys: cfg.TokenKeys,
		riskFlags: riskflag.NewPostgresStore(s.pool, seal), oversight: oversight.NewPostgresStore(s.pool, seal),
		feedback: feedback.NewPostgresStore(s.pool, seal), referral: postgresReferrals(s.pool, seal)}, nil
}

// openMemory returns stores in memory, and says loudly on out that
// nothing survives.
func (s *Server) openMemory(cfg Config, log *slog.Logger, out io.Writer) stores {
	log.Warn("NO DATABASE_URL: running on an IN-MEMORY store. Nothing survives a restart and only one instance can run. Set DATABASE_URL for real use.")
	fmt.Fprintln(out, "\n  *** In-memory mode: conversations and accounts vanish when the server stops. Set DATABASE_URL for real use. ***")
	mem := chat.NewMemoryStore(nil)
	s.retention = mem
	flags := riskflag.NewMemoryStore()
	mem.OnForget(flags.Forget)
	sup := oversight.NewMemoryStore(func(id string) bool { _, err := mem.Conversation(context.Background(), id); return err == nil })
	mem.OnForget(sup.Forget)
	fb := feedback.NewMemoryStore()
	mem.OnForget(fb.Forget)
	st := stores{chat: mem, staff: counselors.NewMemoryStore(), broker: chat.NewMemoryBroker(),
		routes: routing.NewMemoryStore(), services: directory.NewMemoryStore(), tokenKeys: cfg.TokenKeys, riskFlags: flags, oversight: sup, feedback: fb,
		referral: memoryReferrals(mem)}
	if st.tokenKeys == "" {
		st.tokenKeys = chat.NewKey("mem")
	}
	return st
}

func (s *Server) addDemoAccounts(ctx context.Context, out io.Writer) error {
	fmt.Fprintln(out, "  Demo sign-in for the counsellor console (/console), valid until the server stops:")
	// Both demo staff who take conversations speak both built-in languages,
	// and the counsellor is trained for young people too, so that every
	// kind of seeker a newcomer tries is offered to someone.
	both := []string{"es", "en"}
	for _, d := range []struct {
		user, name string
		role       chat.Role
		audiences  []string
	}{{"counselor", "Alex", chat.RoleCounselor, []string{"self", "young", "other"}}, {"supervisor", "Sam", chat.RoleSupervisor, nil},
		{"admin", "Admin", chat.RoleAdmin, nil}} {
		password := s.Config.DemoPassword
		if password == "" {
			password = randomPassword()
		}
		if _, err := s.Staff.AddAccount(ctx, counselors.NewAccount{Username: d.user, DisplayName: d.name, Role: d.role,
			Password: password, Capacity: 3, Languages: both, Audiences: d.audiences}, 0); err != nil {
			return err
		}
		fmt.Fprintf(out, "    %-10s  username %-10s  password %s\n", d.role, d.user, password)
	}
	fmt.Fprintln(out, "  Both counselor and supervisor speak es and en; counselor is also trained for young people.")
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
	srv := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: log.New(addressScrubber{s.Log}, "", 0)}
	s.serving.Lock()
	if s.stopped {
		s.serving.Unlock()
		cancel()
		return nil
	}
	s.cancel, s.http = cancel, srv
	s.serving.Unlock()
	var running sync.WaitGroup
	running.Add(3)
	go func() {
		defer running.Done()
		s.Chat.Run(ctx)
	}()
	go func() {
		defer running.Done()
		s.Oversight.Run(ctx)
	}()
	go func() {
		defer running.Done()
		if err := s.router.Run(ctx); err != nil {
			s.Log.Error("routing stopped: no offers are made and no one is returned to the queue", "error", err)
		}
	}()
	go func() {
		running.Wait()
		close(s.done)
	}()
	go s.Escalations.Run(ctx)
	go s.Supervision.Run(ctx)
	go s.Care.Run(ctx, time.Minute) // checks open spells (on the leader), deletes expired figures hourly
	if s.Config.ReferralInterval > 0 {
		go s.Deliverer.Run(ctx, s.Config.ReferralInterval) // any instance: each row is claimed by one (SKIP LOCKED)
	}
	go chat.RunRetention(ctx, s.retention, s.Config.RetentionDays, time.Hour, time.Now, func(n int, err error) {
		if err != nil {
			s.Log.Error("deleting expired conversations failed; will retry", "error", err)
		} else if n > 0 {
			s.Log.Info("deleted expired conversations", "count", n, "retention_days", s.Config.RetentionDays)
		}
	})
	go s.Feedback.RunRetention(ctx, s.Config.RetentionDays, time.Hour, func(n int, err error) {
		if err != nil {
			s.Log.Error("deleting expired feedback comments failed; will retry", "error", err)
		}
	})
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close first drains (/readyz says not ready for Config.DrainDelay), then
// stops accepting, tells every WebSocket client to reconnect (1001), waits
// for stored work to finish, and closes the database.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	var err error
	s.drain()
	s.serving.Lock()
	s.stopped = true
	srv, stop := s.http, s.cancel
	s.serving.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = srv.Shutdown(ctx)
	}
	s.Chat.Shutdown()
	if stop != nil {
		stop()
		<-s.done
	}
	s.closePool()
	return err
}

func (s *Server) closePool() {
	if s.schema != nil {
		s.schema.Close()
	}
	if pg, ok := s.retention.(*chat.PostgresStore); ok {
		pg.Close() // the message path's own connections
	}
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

// sealedStore is a store that keeps text sealed under HELPLINE_ENCRYPTION_KEYS.
type sealedStore interface {
	RotateKeys(ctx context.Context, batchSize int) (chat.RotationReport, error)
	KeyStatus(ctx context.Context) ([]chat.KeyCount, error)
}

// ErrNothingSealed is what key commands answer in in-memory mode.
var ErrNothingSealed = errors.New("in-memory mode keeps nothing on disk and seals nothing, so there are no keys to rotate or check: " +
	"key rotation works on the PostgreSQL store (set DATABASE_URL and HELPLINE_ENCRYPTION_KEYS)")

// RotateKeys re-seals every sealed column (chat.SealedColumns) with the
// current encryption key; see chat.PostgresStore.RotateKeys.
func (s *Server) RotateKeys(ctx context.Context, batchSize int) (chat.RotationReport, error) {
	if s.sealed == nil {
		return chat.RotationReport{}, ErrNothingSealed
	}
	return s.sealed.RotateKeys(ctx, batchSize)
}

// KeyStatus counts the rows of every sealed column under each key id.
func (s *Server) KeyStatus(ctx context.Context) ([]chat.KeyCount, error) {
	if s.sealed == nil {
		return nil, ErrNothingSealed
	}
	return s.sealed.KeyStatus(ctx)
}

// EncryptionKeys are the keys sealed data is opened with (nil in memory mode).
func (s *Server) EncryptionKeys() *chat.Sealer { return s.sealer }

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

// watcherNames gives the supervisor page's live list who is watching each
// conversation (routing/supervision.Watchers), from chat/oversight's list.
type watcherNames struct{ o *oversight.Service }

func (w watcherNames) WatchersOf(ctx context.Context, ids []string) (map[string][]string, error) {
	all, err := w.o.AllWatchers(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(all))
	for id, refs := range all {
		for _, r := range refs {
			out[id] = append(out[id], r.Name)
		}
	}
	return out, nil
}

// storeGather is the writer's gathering bound: on PostgreSQL only, where
// every commit costs a transaction, a WAL flush and a NOTIFY whatever its
// size; the memory store's commits cost nothing worth a wait.
func storeGather(cfg Config) time.Duration {
	if cfg.DatabaseURL == "" {
		return 0
	}
	return cfg.StoreGather
}
