package server

import (
	"context"
	"log/slog"
	"time"

	"helpline/chat"
	"helpline/chat/riskflag"
	"helpline/counselors"
	"helpline/routing"
	"helpline/routing/escalation"
)

// openEscalations builds the escalation service on the server's database,
// or in memory beside the chat store (whose deletions it follows).
func (s *Server) openEscalations(cfg Config, chatStore chat.Store, router *routing.Router, log *slog.Logger) *escalation.Service {
	var store escalation.Store
	if s.pool != nil {
		store = escalation.NewPostgresStore(s.pool, s.sealer)
	} else {
		cs, _ := chatStore.(*chat.MemoryStore)
		store = escalation.NewMemoryStore(cs)
	}
	return escalation.New(escalation.Config{Deadlines: cfg.EscalationDeadlines, OutOfHours: cfg.OutOfHoursText, Log: log,
		Retention: time.Duration(cfg.RetentionDays) * 24 * time.Hour},
		store, s.Chat, s.Staff, rosterPresence{router, s.Staff})
}

// rosterPresence is who is on shift as routing knows it (staff connected to
// some instance and heard from recently, status on shift), with each one's
// role from their account.
type rosterPresence struct {
	router *routing.Router
	staff  *counselors.Service
}

func (p rosterPresence) OnShift(ctx context.Context) (map[int64]chat.Role, error) {
	team, err := p.router.Team(ctx)
	if err != nil || len(team) == 0 {
		return map[int64]chat.Role{}, err
	}
	accounts, err := p.staff.List(ctx)
	if err != nil {
		return nil, err
	}
	roles := map[int64]chat.Role{}
	for _, a := range accounts {
		roles[a.ID] = a.Role
	}
	out := map[int64]chat.Role{}
	for _, m := range team {
		if r := roles[m.ID]; r == chat.RoleSupervisor || r == chat.RoleAdmin {
			out[m.ID] = r
		}
	}
	return out, nil
}

// riskEscalations lets the risk flags (chat/riskflag) open an escalation
// with urgency "now" for an imminent category: a child at risk now, or the
// person harming themselves. Other categories are flags only.
type riskEscalations struct{ svc *escalation.Service }

func (r riskEscalations) RaiseAutomatic(ctx context.Context, conversationID, category, note string) error {
	reason := escalation.ReasonAcuteDistress
	switch category {
	case riskflag.CategoryChildAtRiskNow:
		reason = escalation.ReasonChildAtRisk
	case riskflag.CategorySelfHarm:
		reason = escalation.ReasonSelfHarm
	case riskflag.CategoryAbusiveOrTesting:
		reason = escalation.ReasonAbusiveOrTesting
	}
	_, err := r.svc.RaiseAutomatic(ctx, conversationID, reason, note)
	return err
}
