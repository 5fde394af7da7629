package chat

import (
	"context"
	"fmt"
	"runtime"
	"testing"
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
	w := NewWriter(g, withDefaults(Config{}).WriteWorkers, nil)
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
