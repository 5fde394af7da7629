package supervision

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"helpline/chat"
)

// Sample is one point of the queue's history.
type Sample struct {
	At                 time.Time `json:"at"`
	Waiting            int       `json:"waiting"`
	LongestWaitSeconds int       `json:"longest_wait_seconds"`
}

// ring keeps the newest samples, a fixed number.
type ring struct {
	mu   sync.Mutex
	buf  []Sample
	next int
	full bool
}

func newRing(n int) *ring { return &ring{buf: make([]Sample, n)} }

func (r *ring) add(s Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = s
	r.next = (r.next + 1) % len(r.buf)
	r.full = r.full || r.next == 0
}

func (r *ring) all() []Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return slices.Clone(r.buf[:r.next])
	}
	return append(slices.Clone(r.buf[r.next:]), r.buf[:r.next]...)
}

// Sample reads the queue now and keeps a point of its history.
func (s *Service) Sample(ctx context.Context) {
	waiting, err := s.cfg.Store.Waiting(ctx)
	if err != nil {
		return // a gap in the chart, not an error anyone can act on
	}
	now := s.cfg.Now()
	p := Sample{At: now.UTC(), Waiting: len(waiting)}
	for _, c := range waiting {
		p.LongestWaitSeconds = max(p.LongestWaitSeconds, int(now.Sub(c.QueuedAt)/time.Second))
	}
	s.ring.add(p)
}

// History returns this instance's samples, oldest first.
func (s *Service) History() []Sample { return s.ring.all() }

// MaxPage bounds a page of either list.
const MaxPage = 100

func pageBounds(offset, limit int) (int, int) {
	if limit <= 0 || limit > MaxPage {
		limit = 25
	}
	return max(offset, 0), limit
}

// Member is one line of the team panel.
type Member struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"display_name"`
	Status      string    `json:"status"`
	StatusSince time.Time `json:"status_since,omitzero"`
	Active      int       `json:"active"`
	Capacity    int       `json:"capacity"`
	// InConversationsSince: when the oldest of their current conversations
	// was assigned to them (zero: none).
	InConversationsSince time.Time `json:"in_conversations_since,omitzero"`
	// LastBreakEnded: zero when no break ended since records began (on
	// break now: see Status and StatusSince).
	LastBreakEnded time.Time `json:"last_break_ended,omitzero"`
}

// TeamPage is a page of the team, by display name.
type TeamPage struct {
	Members []Member `json:"members"`
	Total   int      `json:"total"`
	Offset  int      `json:"offset"`
}

// Team returns a page of the team on shift.
func (s *Service) Team(ctx context.Context, offset, limit int) (TeamPage, error) {
	offset, limit = pageBounds(offset, limit)
	team, err := s.cfg.Team.Team(ctx)
	if err != nil {
		return TeamPage{}, err
	}
	sort.Slice(team, func(i, j int) bool {
		if c := strings.Compare(strings.ToLower(team[i].DisplayName), strings.ToLower(team[j].DisplayName)); c != 0 {
			return c < 0
		}
		return team[i].ID < team[j].ID
	})
	page := TeamPage{Total: len(team), Offset: offset, Members: []Member{}}
	team = team[min(offset, len(team)):min(offset+limit, len(team))]
	ids := make([]int64, 0, len(team))
	for _, m := range team {
		ids = append(ids, m.ID)
	}
	breaks, err := s.cfg.Breaks.Breaks(ctx, ids)
	if err != nil {
		return TeamPage{}, err
	}
	for _, m := range team {
		row := Member{ID: id(m.ID), DisplayName: m.DisplayName, Status: m.Status, Active: m.Active, Capacity: m.Capacity}
		if b, ok := breaks[m.ID]; ok {
			row.LastBreakEnded = b.BreakEndedAt.UTC()
			if string(b.Status) == m.Status {
				row.StatusSince = b.Since.UTC()
			}
		}
		if m.Active > 0 {
			active, err := s.cfg.Store.ActiveFor(ctx, m.ID)
			if err != nil {
				return TeamPage{}, err
			}
			if len(active) > 0 {
				row.InConversationsSince = active[0].AssignedAt.UTC()
			}
		}
		page.Members = append(page.Members, row)
	}
	return page, nil
}

// Conversation is one line of the live-conversation list. No content and
// nothing about the seeker beyond the pre-chat answers every console sees.
type Conversation struct {
	ID              string        `json:"id"`
	Counselor       string        `json:"counselor"`
	CounselorID     string        `json:"counselor_id"`
	Audience        chat.Audience `json:"audience"`
	Language        string        `json:"language"`
	CreatedAt       time.Time     `json:"created_at"`
	AssignedAt      time.Time     `json:"assigned_at"`
	LastSeekerAt    time.Time     `json:"last_seeker_at,omitzero"`
	LastCounselorAt time.Time     `json:"last_counselor_at,omitzero"`
	Watchers        []string      `json:"watchers"`
}

// LivePage is a page of the live conversations, oldest assignment first.
type LivePage struct {
	Conversations []Conversation `json:"conversations"`
	Total         int            `json:"total"`
	Offset        int            `json:"offset"`
}

// Live returns a page of the live conversations.
func (s *Service) Live(ctx context.Context, offset, limit int) (LivePage, error) {
	offset, limit = pageBounds(offset, limit)
	convs, total, err := s.cfg.Live.Live(ctx, offset, limit)
	if err != nil {
		return LivePage{}, err
	}
	ids := make([]string, 0, len(convs))
	for _, c := range convs {
		ids = append(ids, c.ID)
	}
	watchers := map[string][]string{}
	if s.cfg.Watchers != nil && len(ids) > 0 {
		if watchers, err = s.cfg.Watchers.WatchersOf(ctx, ids); err != nil {
			return LivePage{}, err
		}
	}
	page := LivePage{Total: total, Offset: offset, Conversations: make([]Conversation, 0, len(convs))}
	for _, c := range convs {
		w := watchers[c.ID]
		if w == nil {
			w = []string{}
		}
		page.Conversations = append(page.Conversations, Conversation{ID: c.ID, Counselor: c.CounselorName, CounselorID: id(c.CounselorID),
			Audience: c.Audience, Language: c.Language, CreatedAt: c.CreatedAt.UTC(), AssignedAt: c.AssignedAt.UTC(),
			LastSeekerAt: utcOrZero(c.LastSeekerAt), LastCounselorAt: utcOrZero(c.LastCounselorAt), Watchers: w})
	}
	return page, nil
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
