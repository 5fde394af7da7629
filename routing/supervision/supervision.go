package supervision

import (
	"bytes"
	"context"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"helpline/chat"
	"helpline/chat/wire"
	"helpline/routing"
	"helpline/routing/switchboard"
)

// Chat is what this package needs of the chat service.
type Chat interface {
	Push(ctx context.Context, to chat.Recipients, p wire.Payload) error
}

// Team reads the members on shift (routing.Router.Team).
type Team interface {
	Team(ctx context.Context) ([]chat.TeamMember, error)
}

// Pauses lists the switchboard's pauses (switchboard.Service.List).
type Pauses interface {
	List(ctx context.Context) ([]switchboard.Pause, error)
}

// Watchers names, per conversation, the staff watching it now (display
// names), for the "who is watching" column. Whoever keeps the watcher
// list implements it; without one the column is empty.
type Watchers interface {
	WatchersOf(ctx context.Context, conversationIDs []string) (map[string][]string, error)
}

// Config wires a Service. Every, SampleEvery and Samples have defaults.
type Config struct {
	Chat     Chat
	Store    chat.Store
	Live     chat.LiveLister
	Team     Team
	Pauses   Pauses
	Breaks   BreakStore
	Watchers Watchers // optional
	// Leading reports whether this instance builds and pushes the summary
	// (routing.Router.Leading); nil: always (one instance).
	Leading     func() bool
	Every       time.Duration // summary at most this often (default 2 s)
	SampleEvery time.Duration // chart sample period (default 1 min)
	Samples     int           // samples kept (default 360)
	Now         chat.Clock
	Log         *slog.Logger
}

// Service is the supervisor page's data.
type Service struct {
	cfg  Config
	ring *ring
	last []byte // the last summary pushed; Run's goroutine only
}

// New returns the Service; Run starts its summary and samples.
func New(cfg Config) *Service {
	if cfg.Every <= 0 {
		cfg.Every = 2 * time.Second
	}
	if cfg.SampleEvery <= 0 {
		cfg.SampleEvery = time.Minute
	}
	if cfg.Samples <= 0 {
		cfg.Samples = 360
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Leading == nil {
		cfg.Leading = func() bool { return true }
	}
	return &Service{cfg: cfg, ring: newRing(cfg.Samples)}
}

// SkillQueue is one skill's line of the queue.
type SkillQueue struct {
	Audience    chat.Audience `json:"audience"`
	Language    string        `json:"language"`
	Waiting     int           `json:"waiting"`
	OldestSince time.Time     `json:"oldest_since"`
	Prioritised int           `json:"prioritised"`
	Paused      bool          `json:"paused"`
}

// TeamCounts sums up the team on shift.
type TeamCounts struct {
	OnShift   int `json:"on_shift"`
	Available int `json:"available"`
	Busy      int `json:"busy"`
	Break     int `json:"break"`
	Active    int `json:"active"`
	Capacity  int `json:"capacity"`
}

// Summary is the `supervisor_summary` frame, and the page's first answer.
type Summary struct {
	Queue        []SkillQueue `json:"queue"`
	WaitingTotal int          `json:"waiting_total"`
	Team         TeamCounts   `json:"team_counts"`
	LiveTotal    int          `json:"live_total"`
	// Paused is not in the frame (the switchboard frame carries the pauses,
	// with who and since when); GET /api/supervisor/summary fills it in.
	Paused []switchboard.View `json:"paused,omitempty"`
}

// FrameType implements wire.Payload.
func (Summary) FrameType() string { return "supervisor_summary" }

// Risk-prioritised conversations are those queued above the priority of
// returned ones (chat.PriorityReturned): what risk priority sets.
func prioritised(c chat.Conversation) bool { return c.Priority > chat.PriorityReturned }

// Summary builds the summary now.
func (s *Service) Summary(ctx context.Context) (Summary, error) {
	waiting, err := s.cfg.Store.Waiting(ctx)
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	if tallier, ok := s.cfg.Team.(teamTallier); ok {
		// The counts alone, without the whole team listed (routing.Router.TeamTally).
		t, err := tallier.TeamTally(ctx)
		if err != nil {
			return Summary{}, err
		}
		sum.LiveTotal = t.LiveTotal
		sum.Team = TeamCounts{OnShift: t.OnShift, Available: t.Available, Busy: t.Busy, Break: t.Break, Active: t.Active, Capacity: t.Capacity}
	} else if err := s.countTeam(ctx, &sum); err != nil {
		return Summary{}, err
	}
	pauses, err := s.cfg.Pauses.List(ctx)
	if err != nil {
		return Summary{}, err
	}
	sum.Queue, sum.WaitingTotal = queueBySkill(waiting, pauses), len(waiting)
	return sum, nil
}

// teamTallier is a Team that counts its members without listing them.
type teamTallier interface {
	TeamTally(ctx context.Context) (routing.TeamTally, error)
}

// countTeam counts the team and the active conversations from the listed
// team, for a Team that cannot tally.
func (s *Service) countTeam(ctx context.Context, sum *Summary) error {
	team, err := s.cfg.Team.Team(ctx)
	if err != nil {
		return err
	}
	counts, err := s.cfg.Store.ActiveCounts(ctx)
	if err != nil {
		return err
	}
	for _, n := range counts {
		sum.LiveTotal += n
	}
	for _, m := range team {
		sum.Team.OnShift++
		sum.Team.Active += m.Active
		sum.Team.Capacity += m.Capacity
		switch routing.Status(m.Status) {
		case routing.StatusAvailable:
			sum.Team.Available++
		case routing.StatusBusy:
			sum.Team.Busy++
		case routing.StatusBreak:
			sum.Team.Break++
		}
	}
	return nil
}

func queueBySkill(waiting []chat.Conversation, pauses []switchboard.Pause) []SkillQueue {
	type key struct {
		a chat.Audience
		l string
	}
	by := map[key]*SkillQueue{}
	for _, c := range waiting {
		k := key{c.Audience, c.Language}
		q := by[k]
		if q == nil {
			q = &SkillQueue{Audience: c.Audience, Language: c.Language, OldestSince: c.QueuedAt.UTC()}
			by[k] = q
		}
		q.Waiting++
		if c.QueuedAt.Before(q.OldestSince) {
			q.OldestSince = c.QueuedAt.UTC()
		}
		if prioritised(c) {
			q.Prioritised++
		}
	}
	out := make([]SkillQueue, 0, len(by))
	for _, q := range by {
		for _, p := range pauses {
			q.Paused = q.Paused || routing.PausedSkill{Audience: p.Audience, Language: p.Language}.Covers(routing.Waiting{Audience: q.Audience, Language: q.Language})
		}
		out = append(out, *q)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Audience != out[j].Audience {
			return out[i].Audience < out[j].Audience
		}
		return out[i].Language < out[j].Language
	})
	return out
}

// Run pushes the summary while this instance leads and samples the queue,
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.cfg.Every)
	defer tick.Stop()
	sample := time.NewTicker(s.cfg.SampleEvery)
	defer sample.Stop()
	s.Sample(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if s.cfg.Leading() {
				s.PushSummary(ctx)
			} else {
				s.last = nil // on leading again, push at once
			}
		case <-sample.C:
			s.Sample(ctx)
		}
	}
}

// PushSummary builds the summary and pushes it to the supervisor pages if
// it changed since the last push. Run calls it; tests too.
func (s *Service) PushSummary(ctx context.Context) {
	sum, err := s.Summary(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Warn("building the supervisors' summary failed; trying again", "error", err)
		}
		return
	}
	encoded, err := wire.Encode(sum)
	if err != nil || bytes.Equal(encoded, s.last) {
		return
	}
	to := chat.Recipients{Roles: []chat.Role{chat.RoleSupervisor, chat.RoleAdmin}, Observing: true}
	if err := s.cfg.Chat.Push(ctx, to, sum); err != nil {
		s.cfg.Log.Warn("pushing the supervisors' summary failed", "error", err)
		return
	}
	s.last = encoded
}

// OnStatus records a status change for the breaks (routing.Config.OnStatus).
func (s *Service) OnStatus(ctx context.Context, staffID int64, status routing.Status, at time.Time) {
	if err := s.cfg.Breaks.Changed(ctx, staffID, status, at); err != nil && ctx.Err() == nil {
		s.cfg.Log.Warn("recording a break failed", "error", err)
	}
}

// id is a staff id as the wire writes it.
func id(n int64) string { return strconv.FormatInt(n, 10) }
