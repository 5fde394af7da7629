package chat

import (
	"context"
	"sort"
	"time"
)

// LiveConversation is an active conversation as the supervisor page lists
// it: the conversation and when each side last wrote (zero: not yet).
type LiveConversation struct {
	Conversation
	LastSeekerAt    time.Time
	LastCounselorAt time.Time
}

// LiveLister pages through the active conversations, for supervisors.
// MemoryStore and PostgresStore implement it (and pass the same suite,
// live_test.go); it is apart from Store so that other stores need not.
type LiveLister interface {
	// Live returns at most limit active conversations from offset, oldest
	// assignment first (then by id), and how many are active in all. Only
	// the page's conversations are looked into for their last messages,
	// so a page costs the same with 10 or 10,000 active.
	Live(ctx context.Context, offset, limit int) ([]LiveConversation, int, error)
}

var (
	_ LiveLister = (*MemoryStore)(nil)
	_ LiveLister = (*PostgresStore)(nil)
)

func (s *MemoryStore) Live(_ context.Context, offset, limit int) ([]LiveConversation, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	active := make([]*memConversation, 0, 64)
	for _, mc := range s.convs {
		if mc.conv.Status == StatusActive {
			active = append(active, mc)
		}
	}
	sort.Slice(active, func(i, j int) bool {
		a, b := active[i].conv, active[j].conv
		if !a.AssignedAt.Equal(b.AssignedAt) {
			return a.AssignedAt.Before(b.AssignedAt)
		}
		return a.ID < b.ID
	})
	total := len(active)
	offset = min(max(offset, 0), total)
	page := active[offset:min(offset+max(limit, 0), total)]
	out := make([]LiveConversation, 0, len(page))
	for _, mc := range page {
		lc := LiveConversation{Conversation: copyConv(mc.conv)}
		lc.LastSeekerAt, lc.LastCounselorAt = mc.log.lastWrites()
		out = append(out, lc)
	}
	return out, total, nil
}

func (s *PostgresStore) Live(ctx context.Context, offset, limit int) ([]LiveConversation, int, error) {
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM conversations WHERE status = 'active'`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+conversationColumns+` FROM conversations
		WHERE status = 'active' ORDER BY assigned_at, id OFFSET $1 LIMIT $2`, max(offset, 0), max(limit, 0))
	if err != nil {
		return nil, 0, err
	}
	convs, err := collectConversations(rows)
	if err != nil || len(convs) == 0 {
		return []LiveConversation{}, total, err
	}
	ids := make([]string, len(convs))
	index := make(map[string]int, len(convs))
	out := make([]LiveConversation, len(convs))
	for i, c := range convs {
		ids[i], index[c.ID], out[i] = c.ID, i, LiveConversation{Conversation: c}
	}
	last, err := s.pool.Query(ctx, `SELECT conversation_id::text, sender, max(sent_at) FROM messages
		WHERE conversation_id = ANY($1::uuid[]) AND sender IN ('seeker', 'counselor') GROUP BY 1, 2`, ids)
	if err != nil {
		return nil, 0, err
	}
	defer last.Close()
	for last.Next() {
		var id string
		var sender Sender
		var at time.Time
		if err := last.Scan(&id, &sender, &at); err != nil {
			return nil, 0, err
		}
		if sender == SenderSeeker {
			out[index[id]].LastSeekerAt = at
		} else {
			out[index[id]].LastCounselorAt = at
		}
	}
	return out, total, last.Err()
}
