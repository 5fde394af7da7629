package chat

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

var (
	_ Store     = (*MemoryStore)(nil)
	_ Retention = (*MemoryStore)(nil)
)

// MemoryStore keeps everything in process memory. It is the zero-setup store:
// nothing survives a restart, and only one server instance can use it.
type MemoryStore struct {
	now Clock

	mu      sync.Mutex
	convs   map[string]*memConversation
	counts  map[DailyCount]int64 // Count zero in the key
	tallies map[Tally]int64
	coarse  RegionCoarsener

	forgetters []func(conversationID string)
}

// OnForget registers f to be called, outside the store's lock, with the id
// of every conversation this store deletes (at retention or on the seeker's
// request). It is the memory store's ON DELETE CASCADE: a feature that keeps
// per-conversation data in memory deletes it there, as its PostgreSQL table
// does through a foreign key to conversations. Register before use.
func (s *MemoryStore) OnForget(f func(conversationID string)) {
	s.mu.Lock()
	s.forgetters = append(s.forgetters, f)
	s.mu.Unlock()
}

// forgotten tells the registered features which conversations went.
func (s *MemoryStore) forgotten(ids []string) {
	s.mu.Lock()
	fs := s.forgetters
	s.mu.Unlock()
	for _, id := range ids {
		for _, f := range fs {
			f(id)
		}
	}
}

type memConversation struct {
	conv  Conversation
	log   msgLog // its messages, and its client ids for the duplicate rule
	notes []Note
}

// clientKey names a message by client id across conversations (the
// PostgreSQL store's batches use it; the memory store keeps client ids per
// conversation, in msgLog).
type clientKey struct {
	conversationID string
	sender         Sender
	clientID       string
}

// NewMemoryStore returns an empty store. now may be nil for the real clock.
func NewMemoryStore(now Clock) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, convs: map[string]*memConversation{}, counts: map[DailyCount]int64{}, tallies: map[Tally]int64{}}
}

// NewID returns a random UUID (version 4) in text form.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *MemoryStore) CreateConversation(_ context.Context, n NewConversation) (Conversation, error) {
	now := s.now().UTC()
	c := Conversation{ID: NewID(), Status: StatusWaiting, Audience: n.Audience, Language: n.Language,
		Region: n.Region, CreatedAt: now, QueuedAt: now, SeekerSeenAt: now, JoinPosition: 1}
	s.mu.Lock()
	for _, other := range s.convs {
		if other.conv.Status == StatusWaiting {
			c.JoinPosition++
		}
	}
	s.convs[c.ID] = &memConversation{conv: c}
	s.tallyLocked(arrivalTallies(c, s.coarse))
	s.mu.Unlock()
	return c, nil
}

func (s *MemoryStore) Conversation(_ context.Context, id string) (Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[id]
	if !ok {
		return Conversation{}, ErrNotFound
	}
	return copyConv(mc.conv), nil
}

func (s *MemoryStore) AppendBatch(ctx context.Context, batch []Append) []AppendResult {
	return s.appendBatchInto(ctx, batch, nil)
}

// appendBatchInto is AppendBatch with the results written into results'
// array when it is large enough: the Writer's, reused batch after batch
// (see resultsReuser).
func (s *MemoryStore) appendBatchInto(_ context.Context, batch []Append, results []AppendResult) []AppendResult {
	results = slices.Grow(results[:0], len(batch))[:len(batch)]
	clear(results)
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range batch {
		mc, ok := s.convs[a.ConversationID]
		if !ok {
			results[i].Err = ErrNotFound
			continue
		}
		if a.ClientID != "" {
			if seq := mc.log.find(a.Sender, a.ClientID); seq != 0 {
				results[i] = AppendResult{Message: mc.log.messages(mc.conv.ID, int(seq-1), int(seq))[0], Duplicate: true}
				continue
			}
		}
		if err := mayWrite(mc.conv, a); err != nil {
			results[i].Err = err
			continue
		}
		results[i].Message = s.appendLocked(mc, a, now)
	}
	return results
}

// mayWrite decides whether a sender may add to a conversation in its current
// state. It is the one rule both stores apply.
func mayWrite(c Conversation, a Append) error {
	if a.Sender == SenderCounselor && (c.Status == StatusWaiting || !c.Participant(a.SenderID)) {
		return ErrNotFound
	}
	if c.Status == StatusEnded {
		return Errorf(CodeConflict, "the conversation has ended")
	}
	return nil
}

func (s *MemoryStore) appendLocked(mc *memConversation, a Append, now time.Time) Message {
	mc.conv.LastSeq++
	kind := a.Kind
	if kind == "" {
		kind = KindText
	}
	m := Message{ConversationID: a.ConversationID, Seq: mc.conv.LastSeq, Sender: a.Sender, SenderID: a.SenderID,
		Kind: kind, Body: a.Body, Name: a.Name, ClientID: a.ClientID, SentAt: now}
	mc.log.add(m) // a copy: m keeps the caller's strings, the log its own
	return m
}

func (s *MemoryStore) Messages(_ context.Context, conversationID string, afterSeq int64, limit int) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[conversationID]
	if !ok {
		return nil, ErrNotFound
	}
	if afterSeq < 0 {
		afterSeq = 0
	}
	n := int64(mc.log.len())
	if afterSeq >= n {
		return nil, nil
	}
	to := n
	if limit > 0 && n-afterSeq > int64(limit) {
		to = afterSeq + int64(limit)
	}
	return mc.log.messages(conversationID, int(afterSeq), int(to)), nil
}

func (s *MemoryStore) Assign(_ context.Context, conversationID string, counselorID int64, name string, capacity int) (Conversation, Message, error) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[conversationID]
	if !ok {
		return Conversation{}, Message{}, ErrNotFound
	}
	if mc.conv.Status != StatusWaiting {
		return Conversation{}, Message{}, Errorf(CodeConflict, "the conversation is no longer waiting")
	}
	if err := s.roomFor(counselorID, capacity); err != nil {
		return Conversation{}, Message{}, err
	}
	s.tallyLocked(joinTallies(mc.conv, now, mc.firstJoinedAt().IsZero(), s.coarse))
	mc.conv.Status, mc.conv.CounselorID, mc.conv.CounselorName, mc.conv.AssignedAt = StatusActive, counselorID, name, now
	mc.conv.RequiredSkill = ""
	m := s.appendLocked(mc, Append{ConversationID: conversationID, Sender: SenderSystem, Kind: KindJoined, Name: name}, now)
	return copyConv(mc.conv), m, nil
}

// roomFor checks that a counsellor has a free place; s.mu is held.
func (s *MemoryStore) roomFor(counselorID int64, capacity int) error {
	active := 0
	for _, other := range s.convs {
		if other.conv.Status == StatusActive && other.conv.CounselorID == counselorID {
			active++
		}
	}
	if active >= capacity {
		return Errorf(CodeConflict, "at capacity (%d conversations)", capacity)
	}
	return nil
}

func copyConv(c Conversation) Conversation {
	c.Passed = append([]int64(nil), c.Passed...)
	return c
}

func (s *MemoryStore) Requeue(_ context.Context, conversationID, reason string, priority int, skill Audience, pass int64) (Conversation, Message, error) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[conversationID]
	if !ok {
		return Conversation{}, Message{}, ErrNotFound
	}
	if mc.conv.Status != StatusActive {
		return Conversation{}, Message{}, Errorf(CodeConflict, "only an active conversation can go back to the queue")
	}
	c := &mc.conv
	c.Status, c.CounselorID, c.CounselorName, c.AssignedAt = StatusWaiting, 0, "", time.Time{}
	c.JoinedID, c.JoinedName = 0, ""
	if priority > c.Priority {
		c.Priority, c.PriorityReason = priority, "" // a reason goes only with a priority set by Prioritize
	}
	c.RequiredSkill = skill
	if now.After(c.SeekerSeenAt) {
		c.SeekerSeenAt = now // presence was not recorded while it was active
	}
	if pass != 0 {
		c.Passed = append(c.Passed, pass)
	}
	m := s.appendLocked(mc, Append{ConversationID: conversationID, Sender: SenderSystem, Kind: KindRequeued, Body: reason}, now)
	return copyConv(*c), m, nil
}

func (s *MemoryStore) Reassign(_ context.Context, conversationID string, from, to int64, toName string, capacity int) (Conversation, Message, error) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[conversationID]
	if !ok || mc.conv.Status != StatusActive || mc.conv.CounselorID != from {
		return Conversation{}, Message{}, ErrNotFound
	}
	if err := s.roomFor(to, capacity); err != nil {
		return Conversation{}, Message{}, err
	}
	c := &mc.conv
	c.CounselorID, c.CounselorName, c.AssignedAt, c.Passed = to, toName, now, append(c.Passed, from)
	c.JoinedID, c.JoinedName = 0, ""
	m := s.appendLocked(mc, Append{ConversationID: conversationID, Sender: SenderSystem, Kind: KindTransferred, Name: toName}, now)
	return copyConv(*c), m, nil
}

func (s *MemoryStore) Prioritize(_ context.Context, conversationID string, priority int, reason string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[conversationID]
	if !ok {
		return false, ErrNotFound
	}
	if mc.conv.Status != StatusWaiting || priority <= mc.conv.Priority {
		return false, nil
	}
	mc.conv.Priority, mc.conv.PriorityReason = priority, reason
	return true, nil
}

func (s *MemoryStore) TouchSeekers(_ context.Context, ids []string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		// Only waiting conversations, as in PostgresStore.TouchSeekers.
		if mc, ok := s.convs[id]; ok && mc.conv.Status == StatusWaiting && at.After(mc.conv.SeekerSeenAt) {
			mc.conv.SeekerSeenAt = at.UTC()
		}
	}
	return nil
}

func (s *MemoryStore) AddNote(_ context.Context, n Note) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[n.ConversationID]
	if !ok {
		return ErrNotFound
	}
	n.CreatedAt = s.now().UTC()
	mc.notes = append(mc.notes, n)
	return nil
}

func (s *MemoryStore) Notes(_ context.Context, conversationID string) ([]Note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[conversationID]
	if !ok {
		return nil, ErrNotFound
	}
	return append([]Note(nil), mc.notes...), nil
}

func (s *MemoryStore) End(_ context.Context, conversationID, endedBy string) (Conversation, Message, error) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[conversationID]
	if !ok {
		return Conversation{}, Message{}, ErrNotFound
	}
	if mc.conv.Status == StatusEnded {
		return Conversation{}, Message{}, Errorf(CodeConflict, "the conversation has already ended")
	}
	mc.conv.Status, mc.conv.EndedAt, mc.conv.EndedBy = StatusEnded, now, endedBy
	s.tallyLocked(endTallies(mc.conv, mc.firstJoinedAt(), s.coarse))
	m := s.appendLocked(mc, Append{ConversationID: conversationID, Sender: SenderSystem, Kind: KindEnded, Body: endedBy}, now)
	mc.log.compact() // nothing more is written to an ended conversation
	return copyConv(mc.conv), m, nil
}

func (s *MemoryStore) Waiting(_ context.Context) ([]Conversation, error) {
	s.mu.Lock()
	var out []Conversation
	for _, mc := range s.convs {
		if mc.conv.Status == StatusWaiting {
			out = append(out, copyConv(mc.conv))
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority > out[j].Priority
		}
		if !out[i].QueuedAt.Equal(out[j].QueuedAt) {
			return out[i].QueuedAt.Before(out[j].QueuedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (s *MemoryStore) ActiveFor(_ context.Context, counselorID int64) ([]Conversation, error) {
	s.mu.Lock()
	var out []Conversation
	for _, mc := range s.convs {
		if mc.conv.Status == StatusActive && mc.conv.CounselorID == counselorID {
			out = append(out, copyConv(mc.conv))
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].AssignedAt.Before(out[j].AssignedAt) })
	return out, nil
}

func (s *MemoryStore) DeleteExpired(_ context.Context, cutoff time.Time) (int, error) {
	s.mu.Lock()
	var gone []string
	for id, mc := range s.convs {
		if mc.conv.CreatedAt.Before(cutoff) {
			s.forgetLocked(id)
			gone = append(gone, id)
		}
	}
	s.mu.Unlock()
	s.forgotten(gone)
	return len(gone), nil
}

func (s *MemoryStore) DeleteConversation(_ context.Context, id string) error {
	s.mu.Lock()
	mc, ok := s.convs[id]
	if !ok {
		s.mu.Unlock()
		return ErrNotFound
	}
	if mc.conv.Status != StatusEnded {
		s.mu.Unlock()
		return Errorf(CodeConflict, "end the conversation before deleting it")
	}
	s.forgetLocked(id)
	s.mu.Unlock()
	s.forgotten([]string{id})
	return nil
}

func (s *MemoryStore) forgetLocked(id string) {
	c := s.convs[id].conv
	s.counts[countKey(c)]++
	delete(s.convs, id) // its messages and client ids go with it
}

func countKey(c Conversation) DailyCount {
	return DailyCount{Day: c.CreatedAt.UTC().Format(time.DateOnly), Audience: c.Audience, Language: c.Language,
		EndedBy: c.EndedBy, Answered: !c.AssignedAt.IsZero()}
}

func (s *MemoryStore) DailyCounts(_ context.Context) ([]DailyCount, error) {
	s.mu.Lock()
	out := make([]DailyCount, 0, len(s.counts))
	for k, n := range s.counts {
		k.Count = n
		out = append(out, k)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		return fmt.Sprint(a) < fmt.Sprint(b)
	})
	return out, nil
}

func (s *MemoryStore) ActiveCounts(_ context.Context) (map[int64]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64]int{}
	for _, mc := range s.convs {
		if mc.conv.Status == StatusActive {
			out[mc.conv.CounselorID]++
		}
	}
	return out, nil
}

func (s *MemoryStore) JoinStaff(_ context.Context, conversationID string, staffID int64, name string) (Conversation, Message, error) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[conversationID]
	if !ok {
		return Conversation{}, Message{}, ErrNotFound
	}
	c := &mc.conv
	if err := joinRefusal(*c, staffID); err != nil || c.JoinedID == staffID {
		return copyConv(*c), Message{}, err
	}
	c.JoinedID, c.JoinedName = staffID, name
	m := s.appendLocked(mc, Append{ConversationID: conversationID, Sender: SenderSystem, Kind: KindStaffJoined, Name: name}, now)
	return copyConv(*c), m, nil
}

func (s *MemoryStore) LeaveStaff(_ context.Context, conversationID string, staffID int64) (Conversation, Message, error) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.convs[conversationID]
	if !ok {
		return Conversation{}, Message{}, ErrNotFound
	}
	c := &mc.conv
	if c.Status != StatusActive || c.JoinedID == 0 || c.JoinedID != staffID {
		return copyConv(*c), Message{}, nil // nothing to announce (an ended one stays as it ended)
	}
	name := c.JoinedName
	c.JoinedID, c.JoinedName = 0, ""
	m := s.appendLocked(mc, Append{ConversationID: conversationID, Sender: SenderSystem, Kind: KindStaffLeft, Name: name}, now)
	return copyConv(*c), m, nil
}

// joinRefusal is the rule both stores apply to JoinStaff: nil when staffID
// may join c now (or has already).
func joinRefusal(c Conversation, staffID int64) error {
	switch {
	case c.Status != StatusActive:
		return Errorf(CodeConflict, "only an active conversation can be joined")
	case c.CounselorID == staffID:
		return Errorf(CodeConflict, "this conversation is already yours")
	case c.JoinedID != 0 && c.JoinedID != staffID:
		return Errorf(CodeConflict, "another colleague has already joined this conversation")
	}
	return nil
}
