-- +goose Up
-- Supervision of a live conversation (chat/PROTOCOL.md "Supervision").
--
-- A supervisor who joins a conversation is its second participant: they may
-- write beside its counsellor until they leave, it is transferred or taken
-- over. One at a time; like counselor_id, a staff id with no foreign key.
ALTER TABLE conversations
    ADD COLUMN joined_staff_id   bigint,
    ADD COLUMN joined_staff_name text NOT NULL DEFAULT '';

-- Whispers: a supervisor's words to a conversation's counsellor, never to its
-- seeker and never in its message sequence. The body is sealed like a
-- message's, bound to the row's id (chat.IDAAD("whisper", id)).
CREATE TABLE whispers (
    id              text PRIMARY KEY,
    conversation_id uuid   NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    staff_id        bigint NOT NULL,
    staff_name      text   NOT NULL,
    client_id       text   NOT NULL,
    key_id          text   NOT NULL,
    body            bytea  NOT NULL,
    created_at      timestamptz NOT NULL,
    UNIQUE (conversation_id, staff_id, client_id)
);
CREATE INDEX whispers_conversation ON whispers (conversation_id, created_at);

-- Who is watching a conversation now, from every instance: one row per
-- (conversation, staff member, instance), refreshed while the watch lasts,
-- so that rows of an instance that stopped without tidying up expire.
CREATE TABLE conversation_watchers (
    conversation_id uuid   NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    staff_id        bigint NOT NULL,
    instance        text   NOT NULL,
    staff_name      text   NOT NULL,
    staff_role      text   NOT NULL,
    since           timestamptz NOT NULL,
    seen_at         timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, staff_id, instance)
);

-- +goose Down
DROP TABLE conversation_watchers;
DROP TABLE whispers;
ALTER TABLE conversations DROP COLUMN joined_staff_name, DROP COLUMN joined_staff_id;
