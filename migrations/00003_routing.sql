-- +goose Up
-- Queue order: returned conversations (counsellor lost, transferred) go
-- ahead of new arrivals; within a priority, longest waiting first.
ALTER TABLE conversations ADD COLUMN priority int NOT NULL DEFAULT 0;
-- A skill the next counsellor must have (a transfer "to the queue for young people").
ALTER TABLE conversations ADD COLUMN required_skill text NOT NULL DEFAULT '';
-- Counsellors who transferred it away: never offered it again.
ALTER TABLE conversations ADD COLUMN passed bigint[] NOT NULL DEFAULT '{}';
-- Last time the seeker's browser was connected; a seeker gone longer than the
-- grace time leaves the queue.
ALTER TABLE conversations ADD COLUMN seeker_seen_at timestamptz;
-- Place in the queue on arrival: the wait estimate learns time per place from it.
ALTER TABLE conversations ADD COLUMN join_position int NOT NULL DEFAULT 1;
DROP INDEX conversations_waiting;
CREATE INDEX conversations_waiting ON conversations (priority DESC, queued_at, id) WHERE status = 'waiting';

-- Which staff are on shift, with what status and room, as last heard from
-- the instance holding their connection.
CREATE TABLE presence (
    staff_id     bigint PRIMARY KEY,
    display_name text NOT NULL,
    status       text NOT NULL CHECK (status IN ('available', 'busy', 'break', 'offline')),
    capacity     int NOT NULL,
    max_capacity int NOT NULL,
    languages    text[] NOT NULL DEFAULT '{}',
    audiences    text[] NOT NULL DEFAULT '{}',
    seen_at    timestamptz NOT NULL,
    idle_since timestamptz NOT NULL,
    misses     int NOT NULL DEFAULT 0
);

-- A conversation offered to one counsellor, until accepted or expired.
CREATE TABLE offers (
    conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    staff_id        bigint NOT NULL,
    offered_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);

-- Counsellors who let an offer pass or turned it down: not offered that
-- conversation again this round (a new round starts when no one else can take it).
CREATE TABLE passes (
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    staff_id        bigint NOT NULL,
    PRIMARY KEY (conversation_id, staff_id)
);

-- Private handover notes between counsellors, sealed like messages.
CREATE TABLE notes (
    id              bigserial PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    staff_id        bigint NOT NULL,
    staff_name      text NOT NULL,
    key_id          text NOT NULL,
    body            bytea NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX notes_conversation ON notes (conversation_id, id);

-- +goose Down
DROP TABLE notes;
DROP TABLE passes;
DROP TABLE offers;
DROP TABLE presence;
DROP INDEX conversations_waiting;
CREATE INDEX conversations_waiting ON conversations (queued_at, id) WHERE status = 'waiting';
ALTER TABLE conversations DROP COLUMN join_position, DROP COLUMN seeker_seen_at, DROP COLUMN passed, DROP COLUMN required_skill, DROP COLUMN priority;
