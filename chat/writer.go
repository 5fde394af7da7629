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
}

type appendReq struct {
	ctx  context.Context
	a    Append
	done chan AppendResult
}

var reqPool = sync.Pool{New: func() any { return &appendReq{done: make(chan AppendResult, 1)} }}

const maxBatch = 256

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
func NewWriter(store Store, workers int, onStored func([]Message)) *Writer {
	w := &Writer{store: store, onStored: onStored}
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
		appends = appends[:0]
		for _, r := range batch {
			appends = append(appends, r.a)
		}
		// The batch is stored on a context of its own: one caller giving up
		// must not fail the others' messages.
		start := time.Now()
		results := w.store.AppendBatch(context.Background(), appends)
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
