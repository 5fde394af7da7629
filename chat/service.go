package chat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// StaffInfo is what chat needs to know about a signed-in staff member.
type StaffInfo struct {
	ID          int64
	Username    string
	DisplayName string
	Role        Role
	Capacity    int // chosen by them
	MaxCapacity int // allowed by a supervisor
	Languages   []string
	Audiences   []string
}

// StaffDirectory answers for staff sign-ins and records what staff read; the
// counselors package implements it.
type StaffDirectory interface {
	// RecordRead writes "staff member read this conversation" to the audit
	// log. An error means no row was written: the read must then not happen.
	RecordRead(ctx context.Context, staffID int64, conversationID string) error
	// RecordRefused notes that a staff member was refused a conversation (it
	// is not theirs, or does not exist), so that probing leaves a trace. The
	// answer to them stays "not found" whatever happens here.
	RecordRefused(ctx context.Context, staffID int64, conversationID string)
	// CheckSession returns the account behind a staff principal while its
	// sign-in is valid and the account enabled, else a CodeUnauthorized error.
	CheckSession(ctx context.Context, p Principal) (StaffInfo, error)
}

// WatchRecorder is what a StaffDirectory may also do: record a
// supervisor's silent watch of a conversation as the read it is, marked as
// a watch. A directory without it records a watch as a plain read.
type WatchRecorder interface {
	RecordWatch(ctx context.Context, staffID int64, conversationID string) error
}

// Config wires a Service.
type Config struct {
	Store          Store
	Broker         Broker
	Router         Router
	Tokens         *Tokens
	Staff          StaffDirectory
	Log            *slog.Logger
	Now            Clock
	SeekerTokenTTL time.Duration
	// BlockPause is how long new conversations from a browser stay paused
	// after staff end its conversation as blocked (default 24 h).
	BlockPause     time.Duration
	Languages      map[string]bool // languages a seeker may choose
	OriginPatterns []string        // extra WebSocket origins besides the page's own (host, or scheme://host, patterns)
	WriteWorkers   int             // concurrent store batches (default defaultWriteWorkers)
	Metrics        *Metrics        // nil: not exported
	// StoreGather is the longest a message may wait for others to share
	// its commit while messages arrive steadily (see Writer); 0, the
	// default, commits what is waiting at once. Worth it only where a
	// commit costs much whatever its size (PostgreSQL).
	StoreGather time.Duration
	// HTTPS says the service is reached over HTTPS even when requests
	// arrive as plain HTTP (a proxy ends TLS): the page's own origin is then
	// https://host.
	HTTPS bool
	// AuthTimeout is how long a new socket may take to send its auth frame
	// before it is closed with 4002 (default 10 s).
	AuthTimeout time.Duration
	// Heartbeat is how often this instance says which staff and seekers are
	// still connected (default 10 s); keep it well under the grace times.
	Heartbeat time.Duration
	// SeekerTexts, when set, is told of seeker text messages after they
	// are stored, off the message path (observe.go); ObserverQueue bounds
	// the stored batches waiting for it (default DefaultObserverQueue).
	SeekerTexts   SeekerTextObserver
	ObserverQueue int
}

// Service is the chat core of one server instance: the conversation use
// cases, each method the whole rule for its action (who may, on which
// conversation, and what is audited), so that an HTTP endpoint and a
// WebSocket frame for the same action cannot disagree. Access to a
// conversation is decided in one place (mayAccess). Around it: the
// connections of this instance (hub, the one registry; conn.go), the
// events every instance hears (events.go), the queue and team broadcaster
// (broadcast.go) and the push door other packages send frames through
// (push.go).
type Service struct {
	cfg    Config
	store  Store
	broker Broker
	tokens *Tokens
	log    *slog.Logger
	now    Clock
	hub    *Hub
	writer *Writer
	cast   *broadcaster
	router Router
	seen   *observer // nil without Config.SeekerTexts

	// writerOrigin is what the store's own notifications carry to name
	// it (NotifyOrigin), so that this instance skips the messages it
	// publishes itself; empty when the store notifies no one.
	writerOrigin string

	sendLimit *Limiter // per conversation and side

	watchTracker atomic.Pointer[watchTrackerBox] // SetWatchTracker
	// conversationObserver hears state changes (SetConversationObserver).
	conversationObserver atomic.Pointer[conversationObserverBox]

	// lifeMu guards closing and the count of running handlers, so that
	// Shutdown sees every connection that registers before it.
	lifeMu   sync.Mutex
	closing  bool
	handlers sync.WaitGroup // running WebSocket handlers
	shutdown sync.Once
}

// One side of a conversation may send this many messages a second on
// average (in bursts of sendBurst), however many sockets it opens.
const (
	sendsPerSecond = 5
	sendBurst      = 30
)

// NewService builds a Service; call Run to start hearing events.
func NewService(cfg Config) *Service {
	cfg = withDefaults(cfg)
	s := &Service{cfg: cfg, store: cfg.Store, broker: cfg.Broker, tokens: cfg.Tokens, log: cfg.Log, now: cfg.Now, router: cfg.Router,
		hub: newHub(cfg.Store), sendLimit: NewLimiter(sendsPerSecond, sendBurst)}
	s.cast = newBroadcaster(cfg.Store, cfg.Router, s.hub, cfg.Log)
	s.seen = newObserver(cfg.SeekerTexts, cfg.ObserverQueue, cfg.Log)
	s.writer = NewWriter(cfg.Store, cfg.WriteWorkers, cfg.StoreGather, func(stored []Message) {
		s.hub.publish(stored)
		s.seen.offer(stored)
	})
	s.writer.metrics = cfg.Metrics
	if o, ok := cfg.Store.(interface{ NotifyOrigin() string }); ok {
		s.writerOrigin = o.NotifyOrigin()
	}
	return s
}

func withDefaults(cfg Config) Config {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BlockPause == 0 {
		cfg.BlockPause = 24 * time.Hour
	}
	if cfg.SeekerTokenTTL == 0 {
		cfg.SeekerTokenTTL = 24 * time.Hour
	}
	if cfg.Metrics == nil {
		cfg.Metrics = discardMetrics()
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 10 * time.Second
	}
	if cfg.AuthTimeout == 0 {
		cfg.AuthTimeout = authTimeout
	}
	if cfg.WriteWorkers == 0 {
		cfg.WriteWorkers = defaultWriteWorkers
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return cfg
}

// Run hears events from every instance and keeps staff queues current, until
// ctx ends. The router's own duties (offers, time-outs) are not started
// here: whoever wires the router runs it.
func (s *Service) Run(ctx context.Context) error {
	go s.cast.run(ctx)
	go s.heartbeats(ctx)
	go s.keepalive(ctx)
	go s.seen.run(ctx)
	return s.broker.Run(ctx, func(e Event) { s.handleEvent(ctx, e) })
}

// connections copies the connections of this instance that match.
func (s *Service) connections(match func(*Conn) bool) []*Conn { return s.hub.connections(match) }

func (s *Service) markQueueDirty() { s.cast.markDirty() }

func (s *Service) heartbeats(ctx context.Context) {
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		staff := s.hub.staffIDs()
		var seekers []string
		for _, c := range s.connections(func(c *Conn) bool { return c.principal.Role == RoleSeeker }) {
			seekers = append(seekers, c.principal.ConversationID)
		}
		if len(staff) > 0 {
			s.router.Heartbeat(ctx, staff)
		}
		if err := s.store.TouchSeekers(ctx, seekers, s.now()); err != nil && ctx.Err() == nil {
			s.log.Warn("recording that seekers are connected failed", "error", err)
		}
	}
}

// Shutdown closes every WebSocket with 1001 "going away" so that clients
// reconnect (to another instance, or to this one after a restart), then
// stops the writer once nothing can submit to it.
func (s *Service) Shutdown() {
	s.shutdown.Do(func() {
		s.lifeMu.Lock()
		s.closing = true
		conns := s.connections(func(*Conn) bool { return true })
		s.lifeMu.Unlock()
		for _, c := range conns {
			go c.close(StatusGoingAway, "server restarting")
		}
		// Every handler must be done submitting before the writer stops.
		s.handlers.Wait()
		s.writer.Close()
	})
}

func (s *Service) publish(ctx context.Context, e Event) {
	if err := s.broker.Publish(ctx, e); err != nil {
		s.log.Error("publishing an event failed; clients will catch up on reconnect", "event", e.Type, "error", err)
	}
}

// changedState announces a conversation's new state after a store change
// that also wrote the system message m: the message to this instance's
// hub, then the state and the queue to every instance. assignedTo, when
// not 0, is the staff member it was newly assigned to, whose connections
// subscribe to it.
func (s *Service) changedState(ctx context.Context, c Conversation, m Message, assignedTo int64) {
	s.hub.publish([]Message{m})
	s.tellConversationObserver(ctx, c)
	s.publish(ctx, Event{Type: EventConversation, ConversationID: c.ID, StaffID: assignedTo, Conversation: &c})
	s.publish(ctx, Event{Type: EventQueue})
}

// safe keeps database errors out of what clients see.
func (s *Service) safe(err error) error {
	var e *Error
	if asError(err, &e) {
		return err
	}
	var closed *ClosedError
	if errors.As(err, &closed) {
		return err
	}
	s.log.Error("store operation failed", "error", err)
	return Errorf(CodeUnavailable, "please try again")
}
