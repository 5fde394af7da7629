package chat

import (
	"context"
	"time"
)

// SeekerState is a seeker's conversation as a page drawn on the server
// shows it (web/nojs, for browsers without JavaScript): the conversation,
// its messages in order, and, while it waits, the seeker's place.
type SeekerState struct {
	Conversation Conversation
	Messages     []Message
	Wait         *Wait // nil unless waiting
}

// maxSeekerPageMessages bounds how many messages one page shows: the
// newest ones, should a conversation ever hold more.
const maxSeekerPageMessages = 2000

// SeekerState reads the seeker's own conversation for a page drawn on the
// server, by their credential, and records that their browser is still
// there, as a connected socket's heartbeat does (a page that reloads itself
// every few seconds keeps a waiting seeker's place). It is the same rule as
// the socket's: the credential names the one conversation it may read, and
// the messages are the ones a sync from 0 replays.
func (s *Service) SeekerState(ctx context.Context, token string) (Principal, SeekerState, error) {
	p, err := s.tokens.Verify(token)
	if err != nil || p.Role != RoleSeeker {
		return Principal{}, SeekerState{}, errBadToken
	}
	c, err := s.conversation(ctx, p, p.ConversationID, AccessTake)
	if err != nil {
		return Principal{}, SeekerState{}, s.safe(err)
	}
	st := SeekerState{Conversation: c}
	for after := int64(0); ; {
		page, err := s.store.Messages(ctx, c.ID, after, storePage)
		if err != nil {
			return Principal{}, SeekerState{}, s.safe(err)
		}
		st.Messages = append(st.Messages, page...)
		if len(page) < storePage {
			break
		}
		after = page[len(page)-1].Seq
	}
	if n := len(st.Messages); n > maxSeekerPageMessages {
		st.Messages = st.Messages[n-maxSeekerPageMessages:]
	}
	if c.Status == StatusWaiting {
		if err := s.store.TouchSeekers(ctx, []string{c.ID}, s.now()); err != nil {
			s.log.Warn("recording that a seeker is still there failed", "error", err)
		}
		waiting, err := s.store.Waiting(ctx)
		if err != nil {
			return Principal{}, SeekerState{}, s.safe(err)
		}
		if w, ok := s.router.Waits(ctx, waiting)[c.ID]; ok {
			st.Wait = &w
		}
	}
	return p, st, nil
}

// CheckSend is the rule a seeker's or counsellor's message must meet before
// it is stored, the same as a send frame's: a client id of 1–64 letters,
// digits, - or _, and text that is valid UTF-8, not blank, without NUL, at
// most MaxBodyChars characters.
func CheckSend(clientID, body string) error {
	if err := CheckClientID(clientID); err != nil {
		return err
	}
	return CheckText(body, MaxBodyChars, false)
}

// SeekerExpiry returns when a seeker credential stops working, or an
// error when it is not a valid seeker credential.
func (s *Service) SeekerExpiry(token string) (string, time.Time, error) {
	p, err := s.tokens.Verify(token)
	if err != nil || p.Role != RoleSeeker {
		return "", time.Time{}, errBadToken
	}
	return p.ConversationID, p.Expires, nil
}
