-- +goose Up
-- Why a conversation waits ahead of others, for staff: "risk:<category>"
-- when a seeker's words matched an imminent risk list (chat/riskflag).
ALTER TABLE conversations ADD COLUMN priority_reason text NOT NULL DEFAULT '';

-- Risk flags: a seeker message matched a phrase list. The words that
-- matched are seeker content, sealed like messages and bound to the row id;
-- everything goes with the conversation.
CREATE TABLE risk_flags (
    id              text PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint NOT NULL,
    category        text NOT NULL,
    imminent        boolean NOT NULL,
    list            text NOT NULL,
    list_version    text NOT NULL,
    key_id          text NOT NULL,
    matched         bytea NOT NULL,
    created_at      timestamptz NOT NULL,
    -- an automatic escalation was raised for it (imminent categories)
    escalated       boolean NOT NULL DEFAULT false,
    UNIQUE (conversation_id, seq, category, list)
);

-- +goose Down
DROP TABLE risk_flags;
ALTER TABLE conversations DROP COLUMN priority_reason;
