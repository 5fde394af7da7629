package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"helpline/chat"
	"helpline/migrations/migrationstest"
)

// A bus is the Broker of several server instances sharing one store.
// instance opens the broker of one more instance and returns it with the
// function that closes it (its pool, for PostgreSQL).
type bus struct {
	instance func(t *testing.T) (chat.Broker, func())
}

// brokerFactories lists every Broker implementation; each test in this file
// runs against all of them.
var brokerFactories = map[string]func(t *testing.T) bus{
	"memory": func(t *testing.T) bus {
		// One process is the whole bus: every instance shares the broker.
		b := chat.NewMemoryBroker()
		return bus{instance: func(t *testing.T) (chat.Broker, func()) { return b, b.Close }}
	},
	"postgres": func(t *testing.T) bus {
		_, url := migrationstest.MustOpen(t)
		return bus{instance: func(t *testing.T) (chat.Broker, func()) {
			pool := migrationstest.MustPool(t, url)
			return chat.NewPostgresBroker(pool, quietLog()), pool.Close
		}}
	},
}

func forEachBroker(t *testing.T, test func(t *testing.T, b bus)) {
	for name, open := range brokerFactories {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

// eventWait bounds every wait for an event; events normally arrive in
// milliseconds.
const eventWait = 10 * time.Second

// subscriber collects the events one instance's Run hands out.
type subscriber struct {
	events chan chat.Event
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned, with runErr
	runErr error
}

const probeType chat.EventType = "probe"

// subscribe runs b and returns once it hears events: until then (a LISTEN
// not yet issued) events could be missed. It publishes probes through via
// until one arrives; probes never reach s.events.
func subscribe(t *testing.T, b, via chat.Broker) *subscriber {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &subscriber{events: make(chan chat.Event, 4096), cancel: cancel, done: make(chan struct{})}
	heard := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(s.done)
		listening := false // events before the first probe (a resync on listing) are not the test's
		s.runErr = b.Run(ctx, func(e chat.Event) {
			if e.Type == probeType {
				listening = true
				once.Do(func() { close(heard) })
				return
			}
			if listening {
				s.events <- e
			}
		})
	}()
	t.Cleanup(s.stop)
	probe := time.NewTicker(20 * time.Millisecond)
	defer probe.Stop()
	deadline := time.After(eventWait)
	for {
		if err := via.Publish(context.Background(), chat.Event{Type: probeType}); err != nil {
			t.Fatalf("publishing a probe: %v", err)
		}
		select {
		case <-heard:
			return s
		case <-probe.C:
		case <-deadline:
			t.Fatalf("the subscriber heard no event within %v", eventWait)
		}
	}
}

func (s *subscriber) stop() {
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(eventWait):
	}
}

func (s *subscriber) next(t *testing.T) chat.Event {
	t.Helper()
	select {
	case e := <-s.events:
		return e
	case <-time.After(eventWait):
		t.Fatalf("no event within %v", eventWait)
		return chat.Event{}
	}
}

// everyField is an event of type typ with every field, and every field of
// the conversation and member it carries, set.
func everyField(typ chat.EventType) chat.Event {
	at := time.Date(2026, 12, 1, 21, 30, 15, 123456789, time.UTC)
	return chat.Event{
		Type:           typ,
		ConversationID: "0b9d6a52-3c1f-4d7e-9a55-2f0c8e1b7a64",
		Seq:            42,
		Sender:         chat.SenderCounselor,
		Typing:         true,
		StaffID:        7,
		SessionID:      "session-1",
		Conversation: &chat.Conversation{
			ID: "0b9d6a52-3c1f-4d7e-9a55-2f0c8e1b7a64", Status: chat.StatusActive, Audience: chat.AudienceYoung,
			Language: "es", Region: "Madrid", CounselorID: 7, CounselorName: "Ana",
			CreatedAt: at, QueuedAt: at.Add(time.Second), AssignedAt: at.Add(2 * time.Second), EndedAt: at.Add(3 * time.Second),
			EndedBy: "counselor", LastSeq: 42, Priority: 1, PriorityReason: "risk:self_harm", RequiredSkill: chat.AudienceYoung, Passed: []int64{3, 5},
			SeekerSeenAt: at.Add(4 * time.Second), JoinPosition: 2, JoinedID: 51, JoinedName: "Sam",
		},
		Member: &chat.TeamMember{
			ID: 7, StaffID: "s7", DisplayName: "Ana", Status: "available", Capacity: 2, MaxCapacity: 3, Active: 1,
			Languages: []string{"es", "en"}, Audiences: []string{"self", "young"}, IdleSince: at.Add(5 * time.Second),
		},
		Reason: "missed_offers",
		Until:  at.Add(30 * time.Second),
		Writer: "3f9a0c1d2e4b5a60",
		Push: &chat.Push{
			To: chat.Recipients{Staff: []int64{7, 9}, Roles: []chat.Role{chat.RoleSupervisor}, StaffOf: "0b9d6a52-3c1f-4d7e-9a55-2f0c8e1b7a64",
				SeekerOf: "0b9d6a52-3c1f-4d7e-9a55-2f0c8e1b7a64"},
			Frame: json.RawMessage(`{"type":"escalation","conversation_id":"0b9d6a52-3c1f-4d7e-9a55-2f0c8e1b7a64","level":2}`),
		},
	}
}

// unsetFields names the fields of v (and of the structs it points to) left
// at their zero value, so that a field added later is added here too.
func unsetFields(prefix string, v reflect.Value) []string {
	var unset []string
	for i := range v.NumField() {
		f, name := v.Field(i), prefix+v.Type().Field(i).Name
		switch {
		case f.IsZero():
			unset = append(unset, name)
		case f.Kind() == reflect.Pointer && f.Elem().Kind() == reflect.Struct:
			unset = append(unset, unsetFields(name+".", f.Elem())...)
		}
	}
	return unset
}

var allEventTypes = []chat.EventType{chat.EventMessages, chat.EventConversation, chat.EventTyping, chat.EventQueue,
	chat.EventRevoke, chat.EventResync, chat.EventOffer, chat.EventStaff, chat.EventTeam, chat.EventPush}

// Every event type crosses to every instance, the publisher's own included,
// with every field as it was sent.
func TestBrokerEventsRoundTripToEveryInstance(t *testing.T) {
	if unset := unsetFields("", reflect.ValueOf(everyField(chat.EventMessages))); len(unset) > 0 {
		t.Fatalf("everyField leaves %v unset: set them, so that the test proves they cross", unset)
	}
	forEachBroker(t, func(t *testing.T, b bus) {
		a, _ := b.instance(t)
		other, _ := b.instance(t)
		subs := map[string]*subscriber{"the publishing instance": subscribe(t, a, a), "another instance": subscribe(t, other, a)}
		for _, typ := range allEventTypes {
			sent := everyField(typ)
			if err := a.Publish(context.Background(), sent); err != nil {
				t.Fatalf("Publish(%s): %v", typ, err)
			}
			for where, s := range subs {
				if diff := fieldDiff("Event", reflect.ValueOf(s.next(t)), reflect.ValueOf(sent)); len(diff) > 0 {
					t.Errorf("%s event on %s: %s", typ, where, strings.Join(diff, "; "))
				}
			}
		}
	})
}

// fieldDiff names the fields, pointers followed, where got differs from want.
func fieldDiff(prefix string, got, want reflect.Value) []string {
	switch {
	case got.Kind() == reflect.Pointer && !got.IsNil() && !want.IsNil():
		return fieldDiff(prefix, got.Elem(), want.Elem())
	case got.Kind() == reflect.Struct && got.Type() != reflect.TypeOf(time.Time{}):
		var diffs []string
		for i := range got.NumField() {
			name := prefix + "." + got.Type().Field(i).Name
			diffs = append(diffs, fieldDiff(name, got.Field(i), want.Field(i))...)
		}
		return diffs
	case !reflect.DeepEqual(got.Interface(), want.Interface()):
		return []string{fmt.Sprintf("%s = %v, want %v", prefix, got.Interface(), want.Interface())}
	}
	return nil
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Events from one publisher arrive in the order it published them, on every
// instance.
func TestBrokerKeepsEachPublishersOrder(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b bus) {
		a, _ := b.instance(t)
		other, _ := b.instance(t)
		subs := []*subscriber{subscribe(t, a, a), subscribe(t, other, a)}
		const n = 300
		for seq := int64(1); seq <= n; seq++ {
			if err := a.Publish(context.Background(), chat.Event{Type: chat.EventMessages, ConversationID: "c", Seq: seq}); err != nil {
				t.Fatal(err)
			}
		}
		for i, s := range subs {
			for want := int64(1); want <= n; want++ {
				if got := s.next(t); got.Seq != want {
					t.Fatalf("subscriber %d: event %d arrived with seq %d (out of order)", i, want, got.Seq)
				}
			}
		}
	})
}

// PostgreSQL's NOTIFY carries payloads shorter than 8000 bytes. An event that
// fits arrives whole; one that does not is refused with ErrEventTooLarge
// (never cut short, never lost without an error) or, on a broker with no such
// limit, arrives whole too.
func TestBrokerLargeEvents(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b bus) {
		a, _ := b.instance(t)
		other, _ := b.instance(t)
		s := subscribe(t, other, a)
		for _, size := range []int{chat.MaxEventBytes - 1, chat.MaxEventBytes, chat.MaxEventBytes + 1, 3 * chat.MaxEventBytes} {
			sent := eventOfSize(t, size)
			err := a.Publish(context.Background(), sent)
			switch {
			case err == nil:
				if got := s.next(t); !reflect.DeepEqual(got, sent) {
					t.Fatalf("a %d-byte event arrived changed (reason %d bytes, want %d)", size, len(got.Reason), len(sent.Reason))
				}
			case size <= chat.MaxEventBytes:
				t.Fatalf("a %d-byte event, within the limit of %d, was refused: %v", size, chat.MaxEventBytes, err)
			case !errors.Is(err, chat.ErrEventTooLarge) || !strings.Contains(err.Error(), fmt.Sprint(size)):
				t.Fatalf("a %d-byte event was refused with %q; want ErrEventTooLarge saying its size", size, err)
			}
		}
		// Nothing refused arrived, and the bus still works.
		if err := a.Publish(context.Background(), chat.Event{Type: chat.EventQueue}); err != nil {
			t.Fatal(err)
		}
		if got := s.next(t); got.Type != chat.EventQueue {
			t.Fatalf("after the large events the next one is %s, want queue", got.Type)
		}
	})
}

// eventOfSize returns an event whose JSON encoding is size bytes.
func eventOfSize(t *testing.T, size int) chat.Event {
	t.Helper()
	e := chat.Event{Type: chat.EventStaff, StaffID: 7}
	b, _ := json.Marshal(e)
	overhead := len(b) + len(`,"r":""`)
	e.Reason = strings.Repeat("x", size-overhead)
	if b, _ := json.Marshal(e); len(b) != size {
		t.Fatalf("made a %d-byte event, want %d", len(b), size)
	}
	return e
}

// Run returns once its context ends.
func TestBrokerRunReturnsWhenContextEnds(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b bus) {
		a, _ := b.instance(t)
		s := subscribe(t, a, a)
		s.cancel()
		select {
		case <-s.done:
			if s.runErr != nil {
				t.Fatalf("Run returned %v after its context ended, want nil", s.runErr)
			}
		case <-time.After(eventWait):
			t.Fatalf("Run had not returned %v after its context ended", eventWait)
		}
	})
}

// Publishing on a closed broker is an error, not a silent loss.
func TestBrokerPublishAfterCloseErrors(t *testing.T) {
	forEachBroker(t, func(t *testing.T, b bus) {
		a, closeA := b.instance(t)
		closeA()
		if err := a.Publish(context.Background(), chat.Event{Type: chat.EventQueue}); err == nil {
			t.Fatal("Publish after close succeeded")
		}
	})
}
