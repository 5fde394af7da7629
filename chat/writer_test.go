package chat

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// gateStore is a store whose AppendBatch reports each batch on entered and
// commits it only when told (release): a commit held open.
type gateStore struct {
	Store
	entered chan []Append
	release chan struct{}
}

func newGateStore() *gateStore {
	return &gateStore{entered: make(chan []Append, 64), release: make(chan struct{})}
}

func (g *gateStore) AppendBatch(_ context.Context, batch []Append) []AppendResult {
	g.entered <- append([]Append(nil), batch...)
	<-g.release
	out := make([]AppendResult, len(batch))
	for i, a := range batch {
		out[i].Message = Message{ConversationID: a.ConversationID, Body: a.Body}
	}
	return out
}

func (w *Writer) queued() int {
	n := 0
	for _, reqs := range w.reqs {
		n += len(reqs)
	}
	return n
}

// waitQueued returns once n requests wait in w's queues, or with false as
// soon as another batch reaches the store instead (a second committer took
// them).
func waitQueued(w *Writer, g *gateStore, n int) bool {
	for w.queued() < n {
		if len(g.entered) > 0 {
			return false
		}
		runtime.Gosched()
	}
	return true
}

// Under load a batch is everything that arrived while the commit before it
// was in flight, in the order it arrived, and nobody is answered before
// their batch is committed.
func TestWriterGathersWhatArrivedDuringACommit(t *testing.T) {
	g := newGateStore()
	w := NewWriter(g, withDefaults(Config{}).WriteWorkers, 0, nil)
	defer func() { close(g.release); w.Close() }() // lets every batch held open end
	results := make(chan AppendResult, 64)
	send := func(conv, body string) {
		go func() { results <- w.Append(context.Background(), Append{ConversationID: conv, Body: body}) }()
	}
	send("c0", "first")
	if first := <-g.entered; len(first) != 1 {
		t.Fatalf("the first batch has %d messages, want 1: an idle writer must not wait for more", len(first))
	}
	var want []Append
	for i := range 20 {
		a := Append{ConversationID: fmt.Sprintf("c%d", i%5), Body: fmt.Sprintf("m%d", i)}
		send(a.ConversationID, a.Body)
		if !waitQueued(w, g, i+1) {
			t.Fatalf("message %d went to a batch of its own while the first was committing: commits are not grouped", i)
		}
		want = append(want, a)
	}
	if len(results) > 0 {
		t.Fatal("a message was answered before its commit")
	}
	g.release <- struct{}{}
	if r := <-results; r.Message.Body != "first" {
		t.Fatalf("answered %q first, want the committed one", r.Message.Body)
	}
	second := <-g.entered
	if len(second) != len(want) {
		t.Fatalf("the second batch has %d messages, want the %d that arrived during the first commit", len(second), len(want))
	}
	for i := range want {
		if second[i] != want[i] {
			t.Fatalf("the second batch's message %d is %+v, want %+v: out of order", i, second[i], want[i])
		}
	}
	if len(results) > 0 {
		t.Fatal("a message of the second batch was answered before its commit")
	}
	g.release <- struct{}{}
	for range want {
		if r := <-results; r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

// fakeWriterClock is a writer's clock that moves only when the test says,
// and whose waits end only when the test fires them.
type fakeWriterClock struct {
	mu    sync.Mutex
	t     time.Time
	waits chan time.Duration // every wait the writer starts
	fire  chan time.Time     // ends the wait in progress
}

func newFakeWriterClock() *fakeWriterClock {
	return &fakeWriterClock{t: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC),
		waits: make(chan time.Duration, 64), fire: make(chan time.Time)}
}

func (c *fakeWriterClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeWriterClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeWriterClock) After(d time.Duration) (<-chan time.Time, func() bool) {
	c.waits <- d
	return c.fire, func() bool { return true }
}

// gatherRig is a one-worker writer gathering for up to bound on a gate
// store and a fake clock.
type gatherRig struct {
	t       *testing.T
	g       *gateStore
	clock   *fakeWriterClock
	w       *Writer
	results chan AppendResult
	sent    int
}

const testGather = 2 * time.Millisecond

func newGatherRig(t *testing.T) *gatherRig {
	r := &gatherRig{t: t, g: newGateStore(), clock: newFakeWriterClock(), results: make(chan AppendResult, 64)}
	r.w = newWriter(r.g, 1, testGather, r.clock, nil)
	return r
}

// send appends one message (conversation c<n mod 3>) from a goroutine of its
// own and returns what it sent.
func (r *gatherRig) send() Append {
	a := Append{ConversationID: fmt.Sprintf("c%d", r.sent%3), Body: fmt.Sprintf("m%d", r.sent)}
	r.sent++
	go func() { r.results <- r.w.Append(context.Background(), a) }()
	return a
}

// sendTaken sends one message as Append does, but straight onto the
// worker's queue, and returns once the writer has taken it off: while the
// writer waits for more, it takes each message as it comes.
func (r *gatherRig) sendTaken() Append {
	a := Append{ConversationID: fmt.Sprintf("c%d", r.sent%3), Body: fmt.Sprintf("m%d", r.sent)}
	r.sent++
	req := &appendReq{ctx: context.Background(), a: a, at: r.clock.Now(), done: make(chan AppendResult, 1)}
	go func() { r.results <- <-req.done }()
	r.w.reqs[0] <- req
	for len(r.w.reqs[0]) > 0 {
		if len(r.g.entered) > 0 {
			r.t.Fatal("a message went to a commit while the writer should have been waiting for more")
		}
		runtime.Gosched()
	}
	return a
}

// commit lets the batch in the store commit and collects its answers.
func (r *gatherRig) commit(batch []Append) {
	r.t.Helper()
	if len(r.results) > 0 {
		r.t.Fatal("a message was answered before its commit")
	}
	r.g.release <- struct{}{}
	for range batch {
		if res := <-r.results; res.Err != nil {
			r.t.Fatal(res.Err)
		}
	}
}

// steady sends messages 1 ms apart, each committed alone, until the writer
// starts waiting for more after one (it must within 40), and returns that
// message and the wait.
func (r *gatherRig) steady() (Append, time.Duration) {
	r.t.Helper()
	for range 40 {
		r.clock.advance(time.Millisecond)
		a := r.send()
		select {
		case b := <-r.g.entered:
			r.commit(b)
		case d := <-r.clock.waits:
			return a, d
		}
	}
	r.t.Fatalf("after 40 messages 1 ms apart (a steady %d a second, bound %s) the writer still commits each at once", 1000, testGather)
	return Append{}, 0
}

func (r *gatherRig) close() {
	close(r.g.release)
	r.w.Close()
}

// A writer commits a lone message at once when idle, waits for more only
// once messages have been arriving steadily, and goes back to committing
// at once after a pause.
func TestWriterWaitsOnlyAtSteadyRates(t *testing.T) {
	r := newGatherRig(t)
	defer r.close()
	r.send()
	select {
	case b := <-r.g.entered:
		r.commit(b)
	case <-r.clock.waits:
		t.Fatal("an idle writer waited for more before committing a lone message")
	}
	first, d := r.steady()
	if d != testGather {
		t.Fatalf("waits %s for a message that has just arrived, want the bound %s", d, testGather)
	}
	r.clock.fire <- r.clock.Now()
	b := <-r.g.entered
	if len(b) != 1 || b[0] != first {
		t.Fatalf("the timed-out batch is %+v, want just %+v", b, first)
	}
	r.commit(b)
	// A pause of eight bounds: the next message is committed at once.
	r.clock.advance(8 * testGather)
	r.send()
	select {
	case b := <-r.g.entered:
		r.commit(b)
	case <-r.clock.waits:
		t.Fatal("after a pause of 8 bounds the writer waited for more instead of committing at once")
	}
}

// At a steady rate a batch gathers what arrives while its first message
// waits, in arrival order, and is committed when it reaches gatherTarget
// without waiting out the bound.
func TestWriterGathersUpToTheTarget(t *testing.T) {
	r := newGatherRig(t)
	defer r.close()
	first, _ := r.steady()
	want := []Append{first}
	for len(want) < gatherTarget {
		r.clock.advance(testGather / (2 * gatherTarget))
		if len(want) < gatherTarget-1 {
			want = append(want, r.sendTaken())
		} else {
			want = append(want, r.send())
		}
	}
	b := <-r.g.entered
	if len(b) != len(want) {
		t.Fatalf("the gathered batch has %d messages, want %d", len(b), len(want))
	}
	for i := range want {
		if b[i] != want[i] {
			t.Fatalf("the gathered batch's message %d is %+v, want %+v: out of order", i, b[i], want[i])
		}
	}
	r.commit(b)
}

// The bound counts from when a message reached the writer: one that waited
// behind the commit before waits only what is left of it, and one that
// waited the whole bound is committed at once.
func TestWriterNeverWaitsLongerThanTheBound(t *testing.T) {
	r := newGatherRig(t)
	defer r.close()
	r.steady()
	r.clock.fire <- r.clock.Now()
	held := <-r.g.entered // a commit held open
	for _, queuedFor := range []time.Duration{testGather / 4, testGather} {
		r.clock.advance(time.Millisecond / 2)
		a := r.send()
		if !waitQueued(r.w, r.g, 1) {
			t.Fatal("a message reached the store while a commit was held open")
		}
		r.clock.advance(queuedFor)
		r.commit(held)
		if queuedFor < testGather {
			if d := <-r.clock.waits; d != testGather-queuedFor {
				t.Fatalf("a message queued for %s waits %s more, want %s: past the bound", queuedFor, d, testGather-queuedFor)
			}
			r.clock.fire <- r.clock.Now()
		}
		held = <-r.g.entered
		if len(held) != 1 || held[0] != a || len(r.clock.waits) > 0 {
			t.Fatalf("batch %+v after %d waits, want just %+v", held, len(r.clock.waits), a)
		}
	}
	r.commit(held)
}

// Closing a writer that waits for more commits what it has, and every
// message queued before Close, without waiting out the bound.
func TestWriterCloseDrainsWhileGathering(t *testing.T) {
	r := newGatherRig(t)
	first, _ := r.steady()
	r.clock.advance(testGather / 4)
	second := r.sendTaken()
	closed := make(chan struct{})
	go func() { r.w.Close(); close(closed) }()
	b := <-r.g.entered
	if len(b) != 2 || b[0] != first || b[1] != second {
		t.Fatalf("closing committed %+v, want %+v and %+v", b, first, second)
	}
	r.commit(b)
	<-closed
	close(r.g.release)
}

// The memory store writes each batch's results into the array the writer
// keeps: nothing of an earlier batch may show through in a later one's
// results, whatever their outcome.
func TestMemoryStoreReusedResultsCarryNothingOver(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(nil)
	c, err := s.CreateConversation(ctx, NewConversation{Audience: AudienceSelf, Language: "es"})
	if err != nil {
		t.Fatal(err)
	}
	var reuse resultsReuser = s
	results := reuse.appendBatchInto(ctx, []Append{
		{ConversationID: c.ID, Sender: SenderSeeker, ClientID: "a", Body: "one", Kind: KindText},
		{ConversationID: c.ID, Sender: SenderSeeker, ClientID: "b", Body: "two", Kind: KindText},
	}, nil)
	if results[0].Err != nil || results[1].Message.Seq != 2 {
		t.Fatalf("first batch: %+v", results)
	}
	again := reuse.appendBatchInto(ctx, []Append{
		{ConversationID: NewID(), Sender: SenderSeeker, ClientID: "c", Body: "lost?", Kind: KindText},
		{ConversationID: c.ID, Sender: SenderSeeker, ClientID: "a", Body: "one", Kind: KindText},
	}, results)
	if &again[0] != &results[0] {
		t.Fatal("the second batch's results are not in the array the writer kept")
	}
	if again[0].Err != ErrNotFound || again[0].Message != (Message{}) || again[0].Duplicate {
		t.Errorf("append to no conversation: %+v, want only not_found", again[0])
	}
	if !again[1].Duplicate || again[1].Err != nil || again[1].Message.Seq != 1 || again[1].Message.Body != "one" {
		t.Errorf("resent a: %+v, want the duplicate of seq 1", again[1])
	}
}
