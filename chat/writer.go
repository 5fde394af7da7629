package chat

import (
	"context"
	"sync"
	"time"
)

// Writer batches appends from many connections into few store round trips:
// a worker takes whatever requests are waiting (up to maxBatch), stores them
// in one transaction, hands the stored messages to onStored (the hub), then
// answers each caller. Under light load a batch is one message and adds no
// delay; under heavy load batches grow on their own (group commit).
//
// Between the two, at steady rates where the commit before took less time
// than the gaps between messages, a batch would still be about one message
// and every message would pay a commit of its own. With a gathering bound
// (NewWriter's gather), a worker that has seen messages arriving steadily
// waits for a few more before committing: see gathering.
//
// With more than one worker (see defaultWriteWorkers), each conversation
// belongs to one worker (by a hash of its id): two workers' batches never
// hold the same conversation, so they never wait for each other's row
// locks, and a conversation's messages are stored in the order they
// reached the writer.
type Writer struct {
	store    Store
	onStored func([]Message)
	reqs     []chan *appendReq // one per worker
	wg       sync.WaitGroup
	metrics  *Metrics // may be nil
	gather   time.Duration
	clock    writerClock
}

// writerClock is the time the writer reads and the waits it makes, so that
// tests decide when a wait ends.
type writerClock interface {
	Now() time.Time
	// After is a channel that receives once d has passed, and a function
	// that stops it early.
	After(d time.Duration) (<-chan time.Time, func() bool)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) After(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

type appendReq struct {
	ctx  context.Context
	a    Append
	at   time.Time // when Append was called (only when gathering)
	done chan AppendResult
}

var reqPool = sync.Pool{New: func() any { return &appendReq{done: make(chan AppendResult, 1)} }}

const maxBatch = 256

// resultsReuser is a store that can write a batch's results into an array
// the writer keeps (the memory store): one allocation fewer per batch on
// the worker every message goes through. The results are copied out to
// each caller before the next batch reuses the array.
type resultsReuser interface {
	appendBatchInto(ctx context.Context, batch []Append, results []AppendResult) []AppendResult
}

// defaultWriteWorkers is one: on PostgreSQL every message commit sends a
// NOTIFY, and PostgreSQL holds the notification queue's lock from a
// notifying commit until it is flushed, so notifying commits are flushed
// one after another whatever the number of workers. More workers only made
// more, smaller commits (1.1 messages each at 1,000 messages a second with
// four), each paying a transaction, a flush and a notification; one worker
// takes everything that arrived during the commit before (group commit),
// and an idle one still commits a lone message at once.
const defaultWriteWorkers = 1

// NewWriter starts workers store-writing goroutines; Close stops them.
// gather is the longest a message waits for others to share its commit
// when messages arrive steadily (see gathering); 0 never waits, for a store
// whose commits cost next to nothing.
func NewWriter(store Store, workers int, gather time.Duration, onStored func([]Message)) *Writer {
	return newWriter(store, workers, gather, systemClock{}, onStored)
}

func newWriter(store Store, workers int, gather time.Duration, clock writerClock, onStored func([]Message)) *Writer {
	w := &Writer{store: store, onStored: onStored, gather: max(gather, 0), clock: clock}
	for range max(workers, 1) {
		reqs := make(chan *appendReq, 4*maxBatch)
		w.reqs = append(w.reqs, reqs)
		w.wg.Add(1)
		go w.work(reqs)
	}
	return w
}

// Append stores one message and returns once it is durably stored (or not).
func (w *Writer) Append(ctx context.Context, a Append) AppendResult {
	r := reqPool.Get().(*appendReq)
	r.ctx, r.a = ctx, a
	if w.gather > 0 {
		r.at = w.clock.Now()
	}
	select {
	case w.reqs[shard(a.ConversationID, len(w.reqs))] <- r:
	case <-ctx.Done():
		reqPool.Put(r)
		return AppendResult{Err: Errorf(CodeUnavailable, "not stored: the request was cancelled")}
	}
	// Wait even if ctx ends now: the worker owns r until it answers.
	res := <-r.done
	r.ctx, r.a = nil, Append{}
	reqPool.Put(r)
	return res
}

// Close stops the workers after the requests already queued.
func (w *Writer) Close() {
	for _, reqs := range w.reqs {
		close(reqs)
	}
	w.wg.Wait()
}

// shard is the worker of a conversation (FNV-1a of its id).
func shard(conversationID string, n int) int {
	h := uint32(2166136261)
	for i := 0; i < len(conversationID); i++ {
		h = (h ^ uint32(conversationID[i])) * 16777619
	}
	return int(h % uint32(n))
}

func (w *Writer) work(reqs chan *appendReq) {
	defer w.wg.Done()
	batch := make([]*appendReq, 0, maxBatch)
	appends := make([]Append, 0, maxBatch)
	stored := make([]Message, 0, maxBatch)
	g := newGathering(w.gather)
	reuse, _ := w.store.(resultsReuser)
	var kept []AppendResult // reuse's results array, for the next batch
	for first := range reqs {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if w.gather > 0 {
			for _, r := range batch {
				g.saw(r.at)
			}
			batch = w.gatherMore(g, reqs, batch)
		}
		appends = appends[:0]
		for _, r := range batch {
			appends = append(appends, r.a)
		}
		// The batch is stored on a context of its own: one caller giving up
		// must not fail the others' messages.
		start := time.Now()
		var results []AppendResult
		if reuse != nil {
			results = reuse.appendBatchInto(context.Background(), appends, kept)
			kept = results
		} else {
			results = w.store.AppendBatch(context.Background(), appends)
		}
		if w.metrics != nil {
			w.metrics.BatchSeconds.Observe(time.Since(start).Seconds())
			w.metrics.BatchSize.Observe(float64(len(appends)))
		}
		stored = stored[:0]
		for _, res := range results {
			if res.Err == nil && !res.Duplicate {
				stored = append(stored, res.Message)
			}
		}
		if w.metrics != nil {
			w.metrics.Stored.Add(float64(len(stored)))
		}
		if len(stored) > 0 && w.onStored != nil {
			w.onStored(stored)
		}
		for i, r := range batch {
			r.done <- results[i]
		}
	}
}

// gatherTarget is the batch a worker stops waiting at: from eight messages
// on, the fixed cost of a PostgreSQL commit (~0.6 ms of CPU, server and
// PostgreSQL together, whatever its size) is below the cost of a message's
// own share of the work (~0.1 ms), so waiting longer buys little.
const gatherTarget = 8

// idleBounds: a gap between messages is counted as at most this many
// gathering bounds, so that the estimate after a long silence comes back
// within a few messages, and any silence of a few bounds already makes the
// writer commit the next message at once (see gathering.saw).
const idleBounds = 16

// gathering is one worker's estimate of how often messages arrive: a
// moving average of the gaps between consecutive messages (each new gap
// weighs 1/8). A worker waits for more messages only while the average gap
// is under the bound, that is while at least one more message is
// expected before the first of the batch has waited the bound.
//
// The average starts, and returns after a silence, above the bound: a gap
// of 8 bounds or more alone lifts it over the bound (7/8 of anything plus
// an eighth of 8 bounds), so a lone message at low load, or the first after
// a pause, is committed at once as if nothing gathered.
type gathering struct {
	bound time.Duration
	gap   time.Duration // the moving average
	last  time.Time     // the latest message seen
}

func newGathering(bound time.Duration) *gathering {
	return &gathering{bound: bound, gap: idleBounds * bound}
}

// saw counts a message that reached Append at at.
func (g *gathering) saw(at time.Time) {
	gap := idleBounds * g.bound
	if !g.last.IsZero() {
		// Two callers stamp and enqueue concurrently, so a message may come
		// in a little before the one stamped earlier: a gap of nothing.
		gap = min(max(at.Sub(g.last), 0), gap)
	}
	if at.After(g.last) {
		g.last = at
	}
	g.gap += (gap - g.gap) / 8
}

// steady says whether messages have been coming often enough to wait.
func (g *gathering) steady() bool { return g.gap < g.bound }

// gatherMore waits for more messages to join batch while arrivals are
// steady, until the batch has gatherTarget messages or its first has waited
// the bound since it reached Append (time spent queued behind the commit
// before counts: under load nothing more waits), or the writer is closing.
// Messages join in the order they arrive, as without waiting.
func (w *Writer) gatherMore(g *gathering, reqs chan *appendReq, batch []*appendReq) []*appendReq {
	if len(batch) >= gatherTarget || !g.steady() {
		return batch
	}
	wait := batch[0].at.Add(g.bound).Sub(w.clock.Now())
	if wait <= 0 {
		return batch
	}
	timeout, stop := w.clock.After(wait)
	defer stop()
	for len(batch) < gatherTarget {
		select {
		case r, ok := <-reqs:
			if !ok {
				return batch
			}
			g.saw(r.at)
			batch = append(batch, r)
		case <-timeout:
			return batch
		}
	}
	return batch
}
