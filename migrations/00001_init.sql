-- +goose Up
-- Staff accounts. Help-seekers have no account and appear nowhere here.
CREATE TABLE staff (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('counselor', 'supervisor', 'admin')),
    password_hash text NOT NULL,
    capacity      int  NOT NULL DEFAULT 3 CHECK (capacity >= 1),
    max_capacity  int  NOT NULL DEFAULT 5 CHECK (max_capacity >= 1),
    languages     text[] NOT NULL DEFAULT '{}',
    audiences     text[] NOT NULL DEFAULT '{}',
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per staff sign-in, so that a token can be revoked.
CREATE TABLE staff_sessions (
    id         text PRIMARY KEY,
    staff_id   bigint NOT NULL REFERENCES staff (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- A conversation carries no identifier of the help-seeker: the id is random,
-- and the only proof of being its seeker is a signed credential held by the browser.
CREATE TABLE conversations (
    id             uuid PRIMARY KEY,
    status         text NOT NULL CHECK (status IN ('waiting', 'active', 'ended')),
    audience       text NOT NULL DEFAULT '',
    language       text NOT NULL DEFAULT '',
    region         text NOT NULL DEFAULT '',
    counselor_id   bigint, -- a staff id; no foreign key, so chat and accounts can be kept apart
    counselor_name text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    queued_at      timestamptz NOT NULL,
    assigned_at    timestamptz,
    ended_at       timestamptz,
    ended_by       text NOT NULL DEFAULT '',
    last_seq       bigint NOT NULL DEFAULT 0
);
CREATE INDEX conversations_waiting ON conversations (queued_at, id) WHERE status = 'waiting';
CREATE INDEX conversations_active ON conversations (counselor_id) WHERE status = 'active';

-- Message bodies are AES-256-GCM ciphertext (nonce || sealed), bound to
-- (conversation, seq) and tagged with the id of the key that sealed them.
CREATE TABLE messages (
    conversation_id uuid   NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint NOT NULL,
    sender          text   NOT NULL CHECK (sender IN ('seeker', 'counselor', 'system')),
    sender_id       bigint,
    kind            text   NOT NULL,
    name            text   NOT NULL DEFAULT '',
    client_id       text,
    key_id          text   NOT NULL,
    body            bytea  NOT NULL,
    sent_at         timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, sender, client_id) WHERE client_id IS NOT NULL;

-- Append-only record of what staff did. The trigger makes it so for every
-- role that uses this schema, including the service's own.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint,
    action     text NOT NULL,
    target     text NOT NULL DEFAULT '',
    detail     text NOT NULL DEFAULT ''
);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE staff_sessions;
DROP TABLE staff;
