package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"helpline/chat"
	"helpline/chat/riskflag"
	"helpline/chat/wire"
	"helpline/counselors/care"
	"helpline/routing"
	"helpline/routing/escalation"
)

// CareConfig is the care-for-counsellors settings (HELPLINE_CARE_*).
type CareConfig struct {
	Days               int           // HELPLINE_CARE_DAYS: how long the figures are kept
	Cap                time.Duration // HELPLINE_CARE_EXPOSURE_CAP
	CapNotice          time.Duration // HELPLINE_CARE_CAP_NOTICE
	BreakAfterHighRisk bool          // HELPLINE_CARE_BREAK_AFTER_HIGH_RISK
	ShiftGap           time.Duration // HELPLINE_CARE_SHIFT_GAP
}

// readCare reads the HELPLINE_CARE_* settings.
func (e *env) readCare(c *Config) {
	c.Care = CareConfig{Days: e.whole("HELPLINE_CARE_DAYS", 1), Cap: e.duration("HELPLINE_CARE_EXPOSURE_CAP"),
		CapNotice: e.duration("HELPLINE_CARE_CAP_NOTICE"), BreakAfterHighRisk: e.boolean("HELPLINE_CARE_BREAK_AFTER_HIGH_RISK"),
		ShiftGap: e.duration("HELPLINE_CARE_SHIFT_GAP")}
	if c.Care.Days > 90 {
		e.fail(fmt.Errorf("HELPLINE_CARE_DAYS=%d: these figures are kept for a short time; want 1 to 90 days", c.Care.Days))
	}
	if c.Care.CapNotice >= c.Care.Cap {
		e.fail(fmt.Errorf("HELPLINE_CARE_CAP_NOTICE=%s must be shorter than HELPLINE_CARE_EXPOSURE_CAP=%s", c.Care.CapNotice, c.Care.Cap))
	}
}

// openCare builds the care figures (counselors/care) on the server's
// database, or in memory beside the chat store, and hands it the events it
// counts: chat's conversation changes, new risk flags, escalations (not
// debriefs) and status changes (Server.careStatus, from the router).
func (s *Server) openCare(cfg Config, chatStore chat.Store, router *routing.Router, log *slog.Logger) {
	var store care.Store
	if s.pool != nil {
		store = care.NewPostgresStore(s.pool)
	} else {
		mem := care.NewMemoryStore()
		if cs, ok := chatStore.(*chat.MemoryStore); ok {
			cs.OnForget(mem.Forget)
		}
		store = mem
	}
	s.Care = care.New(care.Config{Store: store, Chat: pusher{s}, Team: careTeam{router}, Audit: s.Staff, Log: log,
		Conversations: chatStore, Leading: router.Leading,
		Cap: cfg.Care.Cap, CapNotice: cfg.Care.CapNotice, BreakAfterHighRisk: cfg.Care.BreakAfterHighRisk,
		ShiftGap: cfg.Care.ShiftGap, Retention: time.Duration(cfg.Care.Days) * 24 * time.Hour})
	s.Chat.SetConversationObserver(s.Care)
	s.RiskFlags.SetChat(flagTap{Service: s.Chat, care: s.Care})
	s.Escalations.OnRaised(func(ctx context.Context, e escalation.Escalation) {
		if e.Reason != escalation.ReasonDebrief && e.ConversationID != "" {
			s.Care.Escalated(ctx, e.ConversationID)
		}
	})
}

// careStatus hands the router's status changes to the care figures (breaks).
func (s *Server) careStatus(ctx context.Context, staffID int64, st routing.Status) {
	if s.Care != nil {
		s.Care.OnStatus(ctx, staffID, string(st))
	}
}

// flagTap is the chat service as chat/riskflag sees it, telling the care
// figures of every new flag as it is pushed to the conversation's staff
// (riskflag pushes each flag once, when it is first stored).
type flagTap struct {
	*chat.Service
	care *care.Service
}

func (t flagTap) Push(ctx context.Context, to chat.Recipients, p wire.Payload) error {
	if f, ok := p.(riskflag.FlagFrame); ok {
		t.care.Flagged(ctx, f.ConversationID)
	}
	return t.Service.Push(ctx, to, p)
}

// careTeam is who is on shift, for the supervisors' cap column.
type careTeam struct{ router *routing.Router }

func (t careTeam) OnShift(ctx context.Context) ([]int64, error) {
	team, err := t.router.Team(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(team))
	for _, m := range team {
		ids = append(ids, m.ID)
	}
	return ids, nil
}
