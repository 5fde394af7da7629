package oversight

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"helpline/chat"
)

// Default refresh of an instance's watcher rows, and how long a row counts
// without one.
const (
	DefaultInterval = 10 * time.Second
	DefaultTTL      = 3 * DefaultInterval
)

// Registry is one instance's part of the watcher list: it counts this
// instance's connections watching each conversation (it is the
// chat.WatchTracker), keeps them in the Store as this instance's rows, and
// pushes the whole list of a conversation to its staff whenever this
// instance's part of it changed.
type Registry struct {
	store    Store
	instance string
	push     func(ctx context.Context, conversationID string, watchers []StaffRef)
	now      func() time.Time
	interval time.Duration
	ttl      time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	local   map[watchKey]*localWatch // this instance's watches
	changed map[string]bool          // conversations whose rows changed since the last sync
	idle    bool                     // the last sync stored no rows: an empty one need not be repeated
	dirty   chan struct{}
}

type watchKey struct {
	conversationID string
	staffID        int64
}

type localWatch struct {
	w     Watch
	conns int
}

// RegistryConfig adjusts a Registry; zero values take the defaults.
type RegistryConfig struct {
	Interval time.Duration    // rows refreshed this often (DefaultInterval)
	TTL      time.Duration    // a row unrefreshed this long no longer counts (DefaultTTL)
	Now      func() time.Time // the clock (time.Now)
	Log      *slog.Logger
}

func newRegistry(store Store, cfg RegistryConfig) *Registry {
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.TTL == 0 {
		cfg.TTL = 3 * cfg.Interval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Registry{store: store, instance: chat.NewID(), now: cfg.Now, interval: cfg.Interval, ttl: cfg.TTL, log: cfg.Log,
		local: map[watchKey]*localWatch{}, changed: map[string]bool{}, dirty: make(chan struct{}, 1)}
}

// WatchStarted implements chat.WatchTracker.
func (r *Registry) WatchStarted(staff chat.StaffInfo, conversationID string) {
	k := watchKey{conversationID, staff.ID}
	r.mu.Lock()
	lw := r.local[k]
	if lw == nil {
		lw = &localWatch{w: Watch{ConversationID: conversationID, StaffID: staff.ID, Name: staff.DisplayName, Role: string(staff.Role), Since: r.now().UTC()}}
		r.local[k] = lw
		r.changed[conversationID] = true
	}
	lw.conns++
	r.mu.Unlock()
	r.wake()
}

// WatchStopped implements chat.WatchTracker.
func (r *Registry) WatchStopped(staff chat.StaffInfo, conversationID string) {
	k := watchKey{conversationID, staff.ID}
	r.mu.Lock()
	if lw := r.local[k]; lw != nil {
		if lw.conns--; lw.conns <= 0 {
			delete(r.local, k)
			r.changed[conversationID] = true
		}
	}
	r.mu.Unlock()
	r.wake()
}

func (r *Registry) wake() {
	select {
	case r.dirty <- struct{}{}:
	default:
	}
}

// Run writes this instance's rows whenever they change and every Interval,
// and pushes the list of each conversation that changed, until ctx ends;
// then it removes this instance's rows.
func (r *Registry) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			bg, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			r.store.SyncWatches(bg, r.instance, nil, r.now())
			cancel()
			return
		case <-t.C:
		case <-r.dirty:
		}
		r.sync(ctx)
	}
}

// sync writes the rows and pushes the lists that changed. A failed write is
// tried again at the next tick, changes and all.
func (r *Registry) sync(ctx context.Context) {
	r.mu.Lock()
	watches := make([]Watch, 0, len(r.local))
	for _, lw := range r.local {
		watches = append(watches, lw.w)
	}
	changed := r.changed
	r.changed = map[string]bool{}
	idle := len(watches) == 0 && len(changed) == 0 && r.idle
	r.idle = len(watches) == 0
	r.mu.Unlock()
	if idle {
		return // nothing watched here, and the store already knows
	}
	if err := r.store.SyncWatches(ctx, r.instance, watches, r.now()); err != nil {
		if ctx.Err() == nil {
			r.log.Warn("recording who watches conversations failed; trying again", "error", err)
		}
		r.mu.Lock()
		for id := range changed {
			r.changed[id] = true
		}
		r.idle = false // try again, even with nothing watched
		r.mu.Unlock()
		return
	}
	for id := range changed {
		list, err := r.Watchers(ctx, id)
		if err != nil {
			r.log.Warn("reading who watches a conversation failed", "error", err)
			continue
		}
		r.push(ctx, id, list)
	}
}

// Watchers is who watches a conversation now, on any instance, each staff
// member once, longest watching first.
func (r *Registry) Watchers(ctx context.Context, conversationID string) ([]StaffRef, error) {
	all, err := r.AllWatchers(ctx, []string{conversationID})
	if err != nil {
		return nil, err
	}
	return all[conversationID], nil
}

// AllWatchers is Watchers for many conversations at once (every watched
// one when ids is nil): a supervisor page's live list reads it once.
func (r *Registry) AllWatchers(ctx context.Context, ids []string) (map[string][]StaffRef, error) {
	rows, err := r.store.Watches(ctx, ids, r.now().Add(-r.ttl))
	if err != nil {
		return nil, err
	}
	out := map[string][]StaffRef{}
	for _, w := range rows {
		ref := StaffRef{ID: strconv.FormatInt(w.StaffID, 10), Name: w.Name, Role: w.Role}
		if !slices.Contains(out[w.ConversationID], ref) {
			out[w.ConversationID] = append(out[w.ConversationID], ref)
		}
	}
	for _, id := range ids {
		if out[id] == nil {
			out[id] = []StaffRef{}
		}
	}
	return out, nil
}
