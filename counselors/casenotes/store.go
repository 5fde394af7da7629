package casenotes

import (
	"context"
	"errors"
	"regexp"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"helpline/chat"
)

// MemoryStore keeps notes in memory. Register Forget with
// (*chat.MemoryStore).OnForget so that notes go with their conversation;
// Exists tells which conversations there are.
type MemoryStore struct {
	mu     sync.Mutex
	notes  map[string][]Note // conversation id → notes, oldest first
	exists func(ctx context.Context, conversationID string) bool
}

// NewMemoryStore returns a store; exists (nil: any) says whether a
// conversation exists, as the foreign key does on PostgreSQL.
func NewMemoryStore(exists func(ctx context.Context, conversationID string) bool) *MemoryStore {
	return &MemoryStore{notes: map[string][]Note{}, exists: exists}
}

func (m *MemoryStore) Add(ctx context.Context, n Note) (Note, error) {
	if m.exists != nil && !m.exists(ctx, n.ConversationID) {
		return Note{}, chat.ErrNotFound
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, was := range m.notes[n.ConversationID] {
		if was.ID == n.ID {
			return was, nil
		}
	}
	m.notes[n.ConversationID] = append(m.notes[n.ConversationID], n)
	return n, nil
}

func (m *MemoryStore) List(_ context.Context, conversationID string) ([]Note, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Note{}, m.notes[conversationID]...), nil
}

// Forget deletes a conversation's notes.
func (m *MemoryStore) Forget(conversationID string) {
	m.mu.Lock()
	delete(m.notes, conversationID)
	m.mu.Unlock()
}

// PostgresStore keeps notes in case_notes, sealed (chat.SealedColumns).
type PostgresStore struct {
	pool *pgxpool.Pool
	seal *chat.Sealer
}

func NewPostgresStore(pool *pgxpool.Pool, seal *chat.Sealer) *PostgresStore {
	return &PostgresStore{pool: pool, seal: seal}
}

func (p *PostgresStore) Add(ctx context.Context, n Note) (Note, error) {
	if !uuid.MatchString(n.ConversationID) {
		return Note{}, chat.ErrNotFound
	}
	keyID, sealed := p.seal.Seal([]byte(n.Body), chat.IDAAD("casenote", n.ID))
	tag, err := p.pool.Exec(ctx, `INSERT INTO case_notes (id, conversation_id, author_id, author_name, key_id, body, created_at)
		SELECT $1, id, $3, $4, $5, $6, $7 FROM conversations WHERE id = $2::uuid
		ON CONFLICT (id) DO NOTHING`, n.ID, n.ConversationID, n.AuthorID, n.AuthorName, keyID, sealed, n.CreatedAt)
	if err != nil {
		return Note{}, err
	}
	if tag.RowsAffected() == 1 {
		return n, nil
	}
	was, err := p.one(ctx, n.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Note{}, chat.ErrNotFound // no such conversation
	}
	return was, err
}

func (p *PostgresStore) one(ctx context.Context, id string) (Note, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+columns+` FROM case_notes WHERE id = $1`, id)
	if err != nil {
		return Note{}, err
	}
	notes, err := p.collect(rows)
	if err == nil && len(notes) == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return Note{}, err
	}
	return notes[0], nil
}

const columns = `id, conversation_id::text, author_id, author_name, key_id, body, created_at`

func (p *PostgresStore) List(ctx context.Context, conversationID string) ([]Note, error) {
	if !uuid.MatchString(conversationID) {
		return []Note{}, nil
	}
	rows, err := p.pool.Query(ctx, `SELECT `+columns+` FROM case_notes WHERE conversation_id = $1::uuid ORDER BY created_at, id`, conversationID)
	if err != nil {
		return nil, err
	}
	return p.collect(rows)
}

func (p *PostgresStore) collect(rows pgx.Rows) ([]Note, error) {
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var n Note
		var keyID string
		var sealed []byte
		if err := rows.Scan(&n.ID, &n.ConversationID, &n.AuthorID, &n.AuthorName, &keyID, &sealed, &n.CreatedAt); err != nil {
			return nil, err
		}
		body, err := p.seal.Open(keyID, sealed, chat.IDAAD("casenote", n.ID))
		if err != nil {
			return nil, err
		}
		n.Body, n.CreatedAt = string(body), n.CreatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// uuid is what a conversation id looks like, so that another string is
// "not found" rather than a database error.
var uuid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
