package chat

import (
	"context"
	"sync"
)

var _ Broker = (*MemoryBroker)(nil)

// MemoryBroker delivers events within one process: the broker for the memory
// store, where there is only ever one instance.
type MemoryBroker struct {
	mu       sync.RWMutex
	handlers map[*func(Event)]struct{}
	closed   bool
}

func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{handlers: map[*func(Event)]struct{}{}}
}

func (b *MemoryBroker) Publish(_ context.Context, e Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrBrokerClosed
	}
	for h := range b.handlers {
		(*h)(e)
	}
	return nil
}

func (b *MemoryBroker) Run(ctx context.Context, handle func(Event)) error {
	b.mu.Lock()
	b.handlers[&handle] = struct{}{}
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	delete(b.handlers, &handle)
	b.mu.Unlock()
	return nil
}

// Close makes every later Publish fail with ErrBrokerClosed.
func (b *MemoryBroker) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}
