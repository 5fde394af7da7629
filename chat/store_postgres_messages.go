package chat

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Messages on PostgreSQL: appended in batches, read back in order.

// notifyChannelSQL names the PostgreSQL channel on which a committed batch
// announces "conversation X now has messages up to seq N", so that other
// instances can deliver them to their own clients. Payload:
// "<conversation id>:<seq>[,<conversation id>:<seq>]…:<writing store>"
// (NotifyOrigin): a batch sends one notification for up to
// notifyPerPayloadSQL conversations, since each notification costs the
// committing transaction, PostgreSQL's queue and every listener the same
// whatever it carries. A single conversation is the format of the releases
// before (which read a longer payload as malformed, logged and ignored:
// in a rolling upgrade, instances still on them miss the announcements of
// larger batches until they are replaced). NOTIFY channels are
// database-wide, so the name includes the schema: deployments (or tests)
// sharing a database in separate schemas never hear each other.
const notifyChannelSQL = `'helpline_m_' || left(md5(current_schema()), 16)`

// notifyPerPayloadSQL keeps a payload under NOTIFY's 8,000 bytes with room to
// spare: 120 × (36-byte id + ':' + a 19-digit seq + ',') + the store's
// name is 6,857 bytes at most.
const notifyPerPayloadSQL = "120"

const messageColumns = `conversation_id::text, seq, sender, coalesce(sender_id, 0), kind, name, coalesce(client_id, ''), key_id, body, sent_at`

func (s *PostgresStore) scanMessage(row pgx.Row) (Message, error) {
	var m Message
	var keyID string
	var sealed []byte
	if err := row.Scan(&m.ConversationID, &m.Seq, &m.Sender, &m.SenderID, &m.Kind, &m.Name, &m.ClientID, &keyID, &sealed, &m.SentAt); err != nil {
		return m, err
	}
	body, err := s.seal.Open(keyID, sealed, messageAAD(m.ConversationID, m.Seq))
	if err != nil {
		return m, fmt.Errorf("opening message %s/%d: %w", m.ConversationID, m.Seq, err)
	}
	m.Body = string(body)
	m.SentAt = m.SentAt.UTC()
	return m, nil
}

func (s *PostgresStore) Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]Message, error) {
	if !isUUID(conversationID) {
		return nil, ErrNotFound
	}
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := s.pool.Query(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, conversationID, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := s.scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		if _, err := s.Conversation(ctx, conversationID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
