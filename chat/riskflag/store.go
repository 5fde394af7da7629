package riskflag

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

// Flag is one risk flag: a seeker message (seq) of a conversation matched
// one category of one list. Words are what the seeker wrote that matched,
// Phrases the list's phrases they matched (seeker content: sealed at rest).
type Flag struct {
	ID             string
	ConversationID string
	Seq            int64
	Category       string
	Imminent       bool
	List           string
	Version        string
	Words          []string
	Phrases        []string
	CreatedAt      time.Time
	// Escalated: an automatic escalation was raised for this flag.
	Escalated bool
}

// Store keeps flags per conversation; they go with it (PostgreSQL: ON
// DELETE CASCADE; memory: Forget, registered with MemoryStore.OnForget).
type Store interface {
	// Add stores f, unless the conversation already has a flag for the
	// same message, category and list: added says whether it stored it,
	// escalate whether none of the conversation's flags of f's category
	// has been escalated yet (so that a failed escalation is tried again
	// with the next flag).
	Add(ctx context.Context, f Flag) (added, escalate bool, err error)
	// MarkEscalated records that a flag's automatic escalation was raised.
	MarkEscalated(ctx context.Context, conversationID, flagID string) error
	// List returns a conversation's flags, oldest first.
	List(ctx context.Context, conversationID string) ([]Flag, error)
}

// MemoryStore keeps flags in memory (the in-memory service).
type MemoryStore struct {
	mu    sync.Mutex
	flags map[string][]Flag
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{flags: map[string][]Flag{}} }

func (s *MemoryStore) Add(_ context.Context, f Flag) (bool, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	escalate := true
	for _, o := range s.flags[f.ConversationID] {
		if o.Seq == f.Seq && o.Category == f.Category && o.List == f.List {
			return false, false, nil
		}
		if o.Category == f.Category && o.Escalated {
			escalate = false
		}
	}
	f.Words, f.Phrases, f.Escalated = slices.Clone(f.Words), slices.Clone(f.Phrases), false
	s.flags[f.ConversationID] = append(s.flags[f.ConversationID], f)
	return true, escalate, nil
}

func (s *MemoryStore) MarkEscalated(_ context.Context, conversationID, flagID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.flags[conversationID] {
		if s.flags[conversationID][i].ID == flagID {
			s.flags[conversationID][i].Escalated = true
		}
	}
	return nil
}

func (s *MemoryStore) List(_ context.Context, conversationID string) ([]Flag, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.flags[conversationID]), nil
}

// Forget deletes a conversation's flags: register it with
// (*chat.MemoryStore).OnForget.
func (s *MemoryStore) Forget(conversationID string) {
	s.mu.Lock()
	delete(s.flags, conversationID)
	s.mu.Unlock()
}

// Sealer seals and opens the matched words (chat.Sealer does).
type Sealer interface {
	Seal(plaintext, aad []byte) (keyID string, sealed []byte)
	Open(keyID string, sealed, aad []byte) ([]byte, error)
}

// PostgresStore keeps flags in risk_flags (migration 00011); the matched
// words are sealed under the message keys, bound to the row's id
// (chat.IDAAD("riskflag", id)), and listed in chat.SealedColumns.
type PostgresStore struct {
	pool *pgxpool.Pool
	seal Sealer
}

// NewPostgresStore returns a store on a migrated pool.
func NewPostgresStore(pool *pgxpool.Pool, seal Sealer) *PostgresStore {
	return &PostgresStore{pool: pool, seal: seal}
}

// sealedKind is the kind in the AAD of a flag's sealed words.
const sealedKind = "riskflag"

type sealedWords struct {
	Words   []string `json:"w"`
	Phrases []string `json:"p"`
}

func (s *PostgresStore) Add(ctx context.Context, f Flag) (bool, bool, error) {
	plain, err := json.Marshal(sealedWords{f.Words, f.Phrases})
	if err != nil {
		return false, false, err
	}
	keyID, sealed := s.seal.Seal(plain, chat.IDAAD(sealedKind, f.ID))
	var added, escalate bool
	err = s.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO risk_flags (id, conversation_id, seq, category, imminent, list, list_version, key_id, matched, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (conversation_id, seq, category, list) DO NOTHING RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM ins), NOT EXISTS (SELECT 1 FROM risk_flags WHERE conversation_id = $2 AND category = $4 AND escalated)`,
		f.ID, f.ConversationID, f.Seq, f.Category, f.Imminent, f.List, f.Version, keyID, sealed, f.CreatedAt.UTC()).Scan(&added, &escalate)
	if err != nil {
		return false, false, err
	}
	return added, added && escalate, nil
}

func (s *PostgresStore) MarkEscalated(ctx context.Context, conversationID, flagID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE risk_flags SET escalated = true WHERE id = $1`, flagID)
	return err
}

func (s *PostgresStore) List(ctx context.Context, conversationID string) ([]Flag, error) {
	if !isUUID(conversationID) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id, conversation_id::text, seq, category, imminent, list, list_version, key_id, matched, created_at, escalated
		FROM risk_flags WHERE conversation_id = $1::uuid ORDER BY created_at, seq, id`, conversationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Flag
	for rows.Next() {
		var f Flag
		var keyID string
		var sealed []byte
		if err := rows.Scan(&f.ID, &f.ConversationID, &f.Seq, &f.Category, &f.Imminent, &f.List, &f.Version, &keyID, &sealed, &f.CreatedAt, &f.Escalated); err != nil {
			return nil, err
		}
		plain, err := s.seal.Open(keyID, sealed, chat.IDAAD(sealedKind, f.ID))
		if err != nil {
			return nil, fmt.Errorf("opening risk flag %s: %w", f.ID, err)
		}
		var w sealedWords
		if err := json.Unmarshal(plain, &w); err != nil {
			return nil, fmt.Errorf("risk flag %s: %w", f.ID, err)
		}
		f.Words, f.Phrases, f.CreatedAt = w.Words, w.Phrases, f.CreatedAt.UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

// isUUID tells whether id can be a conversation id (else it has no flags).
func isUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, c := range id {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
