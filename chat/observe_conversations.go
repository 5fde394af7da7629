package chat

import "context"

// ConversationObserver is the door for features that follow who takes part
// in which conversation (counselors/care: how long each staff member has
// spent in conversations): it hears each state change this instance made
// (assigned, transferred, joined, left, returned to the queue, ended),
// after it is stored, once for the whole service, on the goroutine that
// made it. It is handed the conversation as stored, never its messages;
// it must be quick and must not call back into the Service.
type ConversationObserver interface {
	ConversationChanged(ctx context.Context, c Conversation)
}

type conversationObserverBox struct{ o ConversationObserver }

// SetConversationObserver hands over (or, with nil, removes) the observer.
func (s *Service) SetConversationObserver(o ConversationObserver) {
	s.conversationObserver.Store(&conversationObserverBox{o})
}

func (s *Service) tellConversationObserver(ctx context.Context, c Conversation) {
	if b := s.conversationObserver.Load(); b != nil && b.o != nil {
		b.o.ConversationChanged(ctx, c)
	}
}
