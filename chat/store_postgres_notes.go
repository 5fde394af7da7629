package chat

import (
	"context"
	"time"
)

// Handover notes on PostgreSQL, sealed like message bodies.

func (s *PostgresStore) AddNote(ctx context.Context, n Note) error {
	if !isUUID(n.ConversationID) {
		return ErrNotFound
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	keyID, sealed := s.seal.Seal([]byte(n.Body), noteAAD(n.ConversationID, n.StaffID, at))
	tag, err := s.pool.Exec(ctx, `INSERT INTO notes (conversation_id, staff_id, staff_name, key_id, body, created_at)
		SELECT id, $2, $3, $4, $5, $6 FROM conversations WHERE id = $1`, n.ConversationID, n.StaffID, n.StaffName, keyID, sealed, at)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return err
}

func (s *PostgresStore) Notes(ctx context.Context, conversationID string) ([]Note, error) {
	if !isUUID(conversationID) {
		return nil, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT staff_id, staff_name, key_id, body, created_at FROM notes WHERE conversation_id = $1 ORDER BY id`, conversationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		n := Note{ConversationID: conversationID}
		var keyID string
		var sealed []byte
		if err := rows.Scan(&n.StaffID, &n.StaffName, &keyID, &sealed, &n.CreatedAt); err != nil {
			return nil, err
		}
		body, err := s.seal.Open(keyID, sealed, noteAAD(conversationID, n.StaffID, n.CreatedAt))
		if err != nil {
			return nil, err
		}
		n.Body, n.CreatedAt = string(body), n.CreatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}
