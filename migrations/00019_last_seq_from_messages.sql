-- +goose Up
-- A conversation's last sequence number is the highest seq of its messages,
-- read from the end of the primary key's index (conversation_id, seq). The
-- copy the conversation's row kept had to be written (a new version of the
-- whole row) by every commit of the message path; without it that path only
-- reads and share-locks the row, and the primary key alone keeps the numbers
-- unique. Dropped, not left behind, so that nothing reads a stale copy. An
-- instance of an earlier version fails its writes of messages against this
-- schema (the column it reads is gone) until it is replaced; nothing is
-- stored wrongly meanwhile.
ALTER TABLE conversations DROP COLUMN last_seq;

-- +goose Down
ALTER TABLE conversations ADD COLUMN last_seq bigint NOT NULL DEFAULT 0;
UPDATE conversations c SET last_seq = m.last
FROM (SELECT conversation_id, max(seq) AS last FROM messages GROUP BY conversation_id) m
WHERE m.conversation_id = c.id;
