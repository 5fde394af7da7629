package chat

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// SeekerTextObserver is the door for features that look at what seekers
// write (chat/riskflag): it is told of seeker text messages after they are
// durably stored. It is never on the message path: the writer hands the
// stored messages to a bounded queue without waiting and answers the
// sender at once; one goroutine per instance calls SeekerTexts with them,
// in the order they were stored, on the instance that stored them (so each
// message is seen once, by one instance). When the observer falls behind
// and the queue is full, a batch is dropped and logged: the messages
// themselves are stored and delivered as always, only the observer misses
// them. A panic in SeekerTexts is recovered and logged.
type SeekerTextObserver interface {
	SeekerTexts(ctx context.Context, msgs []Message)
}

// DefaultObserverQueue is how many stored batches may wait for the
// observer (Config.ObserverQueue).
const DefaultObserverQueue = 1024

type observer struct {
	o   SeekerTextObserver
	q   chan []Message
	log *slog.Logger

	mu        sync.Mutex
	dropped   int
	loggedAt  time.Time
	startOnce sync.Once
}

func newObserver(o SeekerTextObserver, size int, log *slog.Logger) *observer {
	if o == nil {
		return nil
	}
	if size <= 0 {
		size = DefaultObserverQueue
	}
	return &observer{o: o, q: make(chan []Message, size), log: log}
}

// offer queues the seeker text messages of a stored batch, never waiting.
// stored is the writer's and reused: what is kept is copied.
func (ob *observer) offer(stored []Message) {
	if ob == nil {
		return
	}
	n := 0
	for _, m := range stored {
		if m.Sender == SenderSeeker && m.Kind == KindText {
			n++
		}
	}
	if n == 0 {
		return
	}
	// Counted first, made once at its size: this runs on the writer,
	// which every message waits for, and growing by appends made up to
	// four copies of a batch's messages.
	picked := make([]Message, 0, n)
	for _, m := range stored {
		if m.Sender == SenderSeeker && m.Kind == KindText {
			picked = append(picked, m)
		}
	}
	select {
	case ob.q <- picked:
	default:
		ob.noteDropped(len(picked))
	}
}

// noteDropped logs dropped messages at most every 10 seconds.
func (ob *observer) noteDropped(n int) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	ob.dropped += n
	if time.Since(ob.loggedAt) < 10*time.Second {
		return
	}
	ob.log.Warn("the seeker text observer is behind: messages were stored and delivered but not looked at", "messages", ob.dropped)
	ob.dropped, ob.loggedAt = 0, time.Now()
}

// run hands queued batches to the observer until ctx ends.
func (ob *observer) run(ctx context.Context) {
	if ob == nil {
		return
	}
	ob.startOnce.Do(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case batch := <-ob.q:
				ob.call(ctx, batch)
			}
		}
	})
}

func (ob *observer) call(ctx context.Context, batch []Message) {
	defer func() {
		if v := recover(); v != nil {
			ob.log.Error("the seeker text observer panicked; the messages are stored", "panic", v)
		}
	}()
	ob.o.SeekerTexts(ctx, batch)
}

// Prioritize raises a waiting conversation in the queue to priority, with a
// short reason staff see beside it in the queue (such as "risk:self_harm";
// ids and codes, never seeker text). A conversation keeps the higher of
// its priority and this one; one not waiting is left as it is. It reports
// whether anything changed; when it did, every instance's queue is sent
// again and routing looks at the new order at once.
func (s *Service) Prioritize(ctx context.Context, conversationID string, priority int, reason string) (bool, error) {
	if len(reason) > MaxPriorityReason {
		return false, Errorf(CodeInvalid, "a priority reason is at most %d bytes", MaxPriorityReason)
	}
	changed, err := s.store.Prioritize(ctx, conversationID, priority, reason)
	if err != nil || !changed {
		return false, err
	}
	s.publish(ctx, Event{Type: EventQueue})
	return true, nil
}

// MaxPriorityReason bounds Conversation.PriorityReason.
const MaxPriorityReason = 64

// ReadContent is the rule for a staff read, over HTTP, of something a
// feature keeps about a conversation's content (the words a risk flag
// matched): whoever may read the conversation (AccessRead: its counsellor,
// supervisors and admins), audited as a read before anything is shown and
// refused (unavailable) when the audit cannot be written. Anyone else gets
// not_found, recorded as a refused attempt.
func (s *Service) ReadContent(ctx context.Context, p Principal, conversationID string) (Conversation, error) {
	if !p.Role.IsStaff() {
		return Conversation{}, ErrNotFound
	}
	c, err := s.conversation(ctx, p, conversationID, AccessRead)
	if ErrorCode(err) == CodeNotFound {
		s.refused(ctx, p, conversationID)
	}
	if err != nil {
		return Conversation{}, err
	}
	if err := s.recordRead(ctx, p, conversationID, readHistory); err != nil {
		return Conversation{}, err
	}
	return c, nil
}
