package chat

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

type heldObserver struct {
	mu      sync.Mutex
	batches [][]Message
	hold    chan struct{}
	called  chan struct{}
	stored  chan struct{}
}

func (o *heldObserver) SeekerTexts(_ context.Context, msgs []Message) {
	o.called <- struct{}{}
	<-o.hold
	o.mu.Lock()
	o.batches = append(o.batches, msgs)
	o.mu.Unlock()
	o.stored <- struct{}{}
	if msgs[0].Body == "panic" {
		panic("observer bug")
	}
}

// The observer door never waits: with the observer stuck and its queue
// full, handing over more stored messages returns at once (they are
// dropped for the observer, and only seeker text is handed over at all);
// a panicking observer does not stop the next batch.
func TestObserverNeverHoldsUpTheWriter(t *testing.T) {
	o := &heldObserver{hold: make(chan struct{}), called: make(chan struct{}, 8), stored: make(chan struct{}, 8)}
	ob := newObserver(o, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ob.run(ctx)
	seeker := func(body string) Message {
		return Message{ConversationID: "c", Sender: SenderSeeker, Kind: KindText, Body: body}
	}
	done := make(chan struct{})
	go func() {
		ob.offer([]Message{seeker("panic"), {Sender: SenderCounselor, Kind: KindText, Body: "not a seeker's"}})
		<-o.called                                                    // the observer has the first batch and is stuck in it
		ob.offer([]Message{{Sender: SenderSystem, Kind: KindJoined}}) // nothing for it: not queued
		ob.offer([]Message{seeker("queued")})
		for range 100 {
			ob.offer([]Message{seeker("dropped")})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handing stored messages to a stuck observer waited")
	}
	close(o.hold)
	<-o.called // the queued batch, after the panic was recovered
	for range 2 {
		select {
		case <-o.stored:
		case <-time.After(5 * time.Second):
			t.Fatal("the observer did not get both batches")
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if b := o.batches; len(b[0]) != 1 || b[0][0].Body != "panic" || b[1][0].Body != "queued" {
		t.Fatalf("batches %+v", b)
	}
	ob.mu.Lock()
	dropped := ob.dropped
	ob.mu.Unlock()
	if dropped != 99 { // the first drop was logged (and the count reset); 99 since
		t.Fatalf("dropped %d since the log line, want 99", dropped)
	}
}
