package riskflag

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"helpline/chat"
	"helpline/chat/wire"
)

// Chat is what the service needs of chat.Service: the push door, and
// raising a waiting conversation in the queue.
type Chat interface {
	Push(ctx context.Context, to chat.Recipients, p wire.Payload) error
	Prioritize(ctx context.Context, conversationID string, priority int, reason string) (bool, error)
}

// Escalator opens an escalation without a counsellor asking: for an
// imminent category, with urgency "now", the reason the category stands
// for (child_at_risk_now: a child may be at risk; self_harm: the person
// may harm themselves) and note. routing/escalation implements it.
type Escalator interface {
	RaiseAutomatic(ctx context.Context, conversationID, category, note string) error
}

// FrameRiskFlag is the type of the frame staff get for a new flag.
const FrameRiskFlag = "risk_flag"

// FlagFrame tells a conversation's staff that a seeker message was flagged.
// It carries ids and codes only, never the seeker's words (which would
// cross instances in a NOTIFY): the console fetches those over HTTP, an
// audited read.
type FlagFrame struct {
	ConversationID string `json:"conversation_id"`
	FlagID         string `json:"flag_id"`
	Seq            int64  `json:"seq"`
	Category       string `json:"category"`
	Imminent       bool   `json:"imminent"`
	List           string `json:"list"`
	Version        string `json:"version"`
}

// FrameType implements wire.Payload.
func (FlagFrame) FrameType() string { return FrameRiskFlag }

// PriorityReason is what a risk-prioritised conversation's queue entry says.
func PriorityReason(category string) string { return "risk:" + category }

// Config wires a Service.
type Config struct {
	// Matcher matches with fixed lists; Lists, when set, instead gives
	// the matcher of the lists' newest versions for each batch.
	Matcher *Matcher
	Lists   MatcherSource
	Store   Store
	// Escalator, when set, is asked to open an escalation for the first
	// flag of each imminent category in a conversation. Without one, the
	// flag and the queue priority still happen.
	Escalator Escalator
	Log       *slog.Logger
	Now       func() time.Time
}

// MatcherSource gives the matcher to use now (a *Library does).
type MatcherSource interface {
	Matcher(ctx context.Context) *Matcher
}

// Service flags seeker messages as chat stores them (it is a
// chat.SeekerTextObserver) and serves the flags to staff.
type Service struct {
	cfg   Config
	lists atomic.Pointer[MatcherSource]
	chat  atomic.Pointer[Chat]
	esc   atomic.Pointer[Escalator]
}

var _ chat.SeekerTextObserver = (*Service)(nil)

// New returns a Service; hand it the chat service with SetChat.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg}
	if cfg.Lists != nil {
		s.SetLists(cfg.Lists)
	}
	if cfg.Escalator != nil {
		s.SetEscalator(cfg.Escalator)
	}
	return s
}

// SetEscalator hands over (or replaces) the Escalator, for a caller that
// builds it after this service; nil turns automatic escalation off.
func (s *Service) SetEscalator(e Escalator) {
	if e == nil {
		s.esc.Store(nil)
		return
	}
	s.esc.Store(&e)
}

// SetLists makes the service match with the lists' newest versions (a
// *Library, built once the stores are open) instead of Config.Matcher.
func (s *Service) SetLists(l MatcherSource) { s.lists.Store(&l) }

// SetChat hands over the chat service (built after this one, since chat's
// Config names this as its observer).
func (s *Service) SetChat(c Chat) { s.chat.Store(&c) }

// Flags lists a conversation's flags. The caller has decided that the
// principal may read them and audited it (chat.Service.ReadContent).
func (s *Service) Flags(ctx context.Context, conversationID string) ([]Flag, error) {
	return s.cfg.Store.List(ctx, conversationID)
}

// SeekerTexts implements chat.SeekerTextObserver: it matches each stored
// seeker text message and acts on what matched.
func (s *Service) SeekerTexts(ctx context.Context, msgs []chat.Message) {
	matcher := s.cfg.Matcher
	if l := s.lists.Load(); l != nil {
		matcher = (*l).Matcher(ctx)
	}
	for _, m := range msgs {
		if m.Sender != chat.SenderSeeker || m.Kind != chat.KindText {
			continue
		}
		for _, f := range flagsOf(matcher, m, s.cfg.Now) {
			s.act(ctx, f)
		}
	}
}

// flagsOf groups a message's matches into one flag per category and list.
func flagsOf(matcher *Matcher, m chat.Message, now func() time.Time) []Flag {
	var out []Flag
	index := map[[2]string]int{}
	for _, hit := range matcher.Match(m.Body) {
		key := [2]string{hit.Category, hit.List}
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, Flag{ID: chat.NewID(), ConversationID: m.ConversationID, Seq: m.Seq, Category: hit.Category,
				Imminent: hit.Imminent, List: hit.List, Version: hit.Version, CreatedAt: now().UTC()})
		}
		out[i].Words = append(out[i].Words, hit.Words)
		out[i].Phrases = append(out[i].Phrases, hit.Phrase)
	}
	return out
}

// act stores a flag and, when it is new, tells the conversation's staff;
// for an imminent category it also raises the waiting seeker in the queue
// and, for the conversation's first flag of the category, escalates.
func (s *Service) act(ctx context.Context, f Flag) {
	log := s.cfg.Log.With("conversation", f.ConversationID, "seq", f.Seq, "category", f.Category, "list", f.List)
	added, escalate, err := s.cfg.Store.Add(ctx, f)
	if err != nil {
		log.Error("storing a risk flag failed; the message is stored, the flag is not", "error", err)
	}
	if err == nil && !added {
		return // seen before
	}
	c := s.chat.Load()
	if c == nil {
		log.Error("a risk flag could not be acted on: no chat service set")
		return
	}
	if err == nil {
		if err := (*c).Push(ctx, chat.Recipients{StaffOf: f.ConversationID}, FlagFrame{ConversationID: f.ConversationID,
			FlagID: f.ID, Seq: f.Seq, Category: f.Category, Imminent: f.Imminent, List: f.List, Version: f.Version}); err != nil {
			log.Warn("telling staff of a risk flag failed; the console lists it when it next loads the conversation's flags", "error", err)
		}
	}
	if !f.Imminent {
		return
	}
	if _, err := (*c).Prioritize(ctx, f.ConversationID, chat.PriorityRisk, PriorityReason(f.Category)); err != nil {
		log.Error("moving a seeker at imminent risk ahead in the queue failed", "error", err)
	}
	// Escalate the first flag of the category; until one escalation went
	// through, each new flag tries again. When the flag could not be
	// stored, escalate anyway: a duplicate is added to the open
	// escalation, a miss would be lost.
	esc := s.esc.Load()
	if esc == nil || !escalate && err == nil {
		return
	}
	if err := (*esc).RaiseAutomatic(ctx, f.ConversationID, f.Category, Note(f)); err != nil {
		log.Error("opening an automatic escalation for imminent risk failed; the counsellor still sees the flag, and the next flag tries again", "error", err)
		return
	}
	if err == nil {
		if err := s.cfg.Store.MarkEscalated(ctx, f.ConversationID, f.ID); err != nil {
			log.Warn("recording that a risk flag was escalated failed; the next flag of its category escalates again", "error", err)
		}
	}
}

// Note is the escalation note of an automatic escalation: what matched,
// in which list and version.
func Note(f Flag) string {
	quoted := make([]string, len(f.Words))
	for i, w := range f.Words {
		quoted[i] = fmt.Sprintf("%q", w)
	}
	return fmt.Sprintf("raised automatically: %s matched %s (list %s, version %s, message %d)",
		strings.Join(quoted, ", "), f.Category, f.List, f.Version, f.Seq)
}
