package chat

import (
	"context"

	"helpline/chat/wire"
)

// eventHandlers is what this instance does on each event from the broker.
var eventHandlers = map[EventType]func(s *Service, ctx context.Context, e Event){
	EventMessages:     (*Service).onMessages,
	EventConversation: (*Service).onConversation,
	EventTyping:       (*Service).onTyping,
	EventQueue:        (*Service).onQueueOrTeam,
	EventTeam:         (*Service).onQueueOrTeam,
	EventOffer:        (*Service).onOffer,
	EventStaff:        (*Service).onStaff,
	EventRevoke:       (*Service).onRevoke,
	EventResync:       (*Service).onResync,
	EventPush:         (*Service).onPush,
}

func (s *Service) handleEvent(ctx context.Context, e Event) {
	if handle := eventHandlers[e.Type]; handle != nil {
		handle(s, ctx, e)
	}
}

func (s *Service) onMessages(_ context.Context, e Event) {
	if e.Writer != "" && e.Writer == s.writerOrigin {
		// Written through this instance's own store: the writer and
		// changedState hand those messages to the hub themselves, after
		// the commit. Heard first (the listener often wins that race),
		// the notification would send every subscriber to the store for a
		// message that is about to be in the ring.
		return
	}
	if r := s.hub.room(e.ConversationID); r != nil && r.announce(e.Seq) {
		r.wake()
	}
}

func (s *Service) onConversation(_ context.Context, e Event) {
	if e.Conversation == nil {
		return
	}
	view := e.Conversation.View()
	frame := serverFrame{Type: wire.FrameConversation, Conversation: &view}
	if e.StaffID != 0 {
		for _, c := range s.hub.consoles(e.StaffID) {
			c.subscribe(e.ConversationID)
		}
	}
	if r := s.hub.room(e.ConversationID); r != nil {
		for _, c := range r.subscribers() {
			c.enqueue(frame)
			if !c.principal.Role.IsStaff() {
				continue
			}
			c.setPartOf(e.ConversationID, e.Conversation.Participant(c.principal.StaffID))
			// Staff who no longer take part (transferred, returned to the
			// queue, taken over, left after joining) stop hearing about it,
			// unless they watch it.
			if !e.Conversation.Participant(c.principal.StaffID) && !c.watches(e.ConversationID) {
				c.unsubscribe(e.ConversationID)
			}
		}
	}
	if e.Conversation.Status != StatusWaiting {
		s.router.Changed()
	}
}

func (s *Service) onTyping(_ context.Context, e Event) {
	r := s.hub.room(e.ConversationID)
	if r == nil {
		return
	}
	typing := e.Typing
	frame := serverFrame{Type: wire.FrameTyping, ConversationID: e.ConversationID, Sender: e.Sender, Typing: &typing}
	for _, c := range r.subscribers() {
		if c.sender() != e.Sender {
			c.enqueue(frame)
		}
	}
}

func (s *Service) onQueueOrTeam(context.Context, Event) {
	s.router.Changed()
	s.markQueueDirty()
}

func (s *Service) onOffer(_ context.Context, e Event) {
	if e.Conversation == nil {
		return
	}
	view, until := e.Conversation.View(), e.Until
	for _, c := range s.hub.consoles(e.StaffID) {
		c.enqueue(serverFrame{Type: wire.FrameOffer, Conversation: &view, ExpiresAt: &until, Reason: e.Reason})
	}
}

func (s *Service) onStaff(_ context.Context, e Event) {
	for _, c := range s.hub.consoles(e.StaffID) {
		c.enqueue(serverFrame{Type: wire.FrameStatus, Member: e.Member, Reason: e.Reason})
	}
	s.markQueueDirty()
}

func (s *Service) onRevoke(_ context.Context, e Event) {
	for _, c := range s.hub.staffConns(e.StaffID) {
		if e.SessionID == "" || c.principal.SessionID == e.SessionID {
			go c.close(StatusRevoked, "signed out")
		}
	}
}

func (s *Service) onResync(ctx context.Context, _ Event) {
	go s.hub.resync(ctx)
	s.markQueueDirty()
}
