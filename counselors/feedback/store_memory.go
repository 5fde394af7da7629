package feedback

import (
	"context"
	"sort"
	"sync"
)

var _ Store = (*MemoryStore)(nil)

// MemoryStore keeps feedback in process memory. Register Forget with
// (*chat.MemoryStore).OnForget so the "has answered" marks go with their
// conversations.
type MemoryStore struct {
	mu       sync.Mutex
	given    map[string]bool
	answers  []Record // Comment always empty
	comments []Comment
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{given: map[string]bool{}} }

// Forget drops a conversation's "has answered" mark.
func (s *MemoryStore) Forget(conversationID string) {
	s.mu.Lock()
	delete(s.given, conversationID)
	s.mu.Unlock()
}

func (s *MemoryStore) Submit(_ context.Context, conversationID string, r Record) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.given[conversationID] {
		return false, nil
	}
	s.given[conversationID] = true
	if r.Helpful != 0 || r.Feeling != 0 {
		s.answers = append(s.answers, Record{Week: r.Week, Language: r.Language, Helpful: r.Helpful, Feeling: r.Feeling})
	}
	if r.Comment != "" {
		s.comments = append(s.comments, Comment{Week: r.Week, Language: r.Language, Text: r.Comment})
	}
	return true, nil
}

func (s *MemoryStore) Counts(_ context.Context, fromWeek, toWeek string) ([]Count, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sums := map[Count]int64{}
	for _, a := range s.answers {
		if a.Week < fromWeek || a.Week > toWeek {
			continue
		}
		if a.Helpful != 0 {
			sums[Count{Week: a.Week, Language: a.Language, Question: QuestionHelpful, Value: a.Helpful}]++
		}
		if a.Feeling != 0 {
			sums[Count{Week: a.Week, Language: a.Language, Question: QuestionFeeling, Value: a.Feeling}]++
		}
	}
	out := make([]Count, 0, len(sums))
	for c, n := range sums {
		c.N = n
		out = append(out, c)
	}
	return out, nil
}

func (s *MemoryStore) Comments(_ context.Context, fromWeek, toWeek string) ([]Comment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.Week >= fromWeek && c.Week <= toWeek {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Week > out[j].Week })
	return out, nil
}

func (s *MemoryStore) DeleteCommentsBefore(_ context.Context, week string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.comments[:0]
	for _, c := range s.comments {
		if c.Week >= week {
			kept = append(kept, c)
		}
	}
	n := len(s.comments) - len(kept)
	s.comments = kept
	return n, nil
}
