-- +goose Up
-- Prepared answers: staff texts, not seekers' words (not sealed). scope is
-- service, team (team = an audience) or own (owner_id = the counsellor).
CREATE TABLE prepared_answers (
    id         text PRIMARY KEY,
    language   text NOT NULL,
    scope      text NOT NULL CHECK (scope IN ('service', 'team', 'own')),
    team       text NOT NULL DEFAULT '',
    owner_id   bigint NOT NULL DEFAULT 0,
    title      text NOT NULL,
    body       text NOT NULL,
    tags       text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL
);

-- Private case notes, sealed like message bodies (key_id + body, bound to
-- the row's id), gone with their conversation.
CREATE TABLE case_notes (
    id              text PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       bigint NOT NULL,
    author_name     text NOT NULL,
    key_id          text NOT NULL,
    body            bytea NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX case_notes_conversation ON case_notes (conversation_id, created_at);

-- One wrap-up per conversation (a draft until done), gone with its
-- conversation. answers holds only the form's own codes: no free text.
CREATE TABLE wrapups (
    conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    form_version    text NOT NULL,
    answers         jsonb NOT NULL,
    done            boolean NOT NULL DEFAULT false,
    updated_by      bigint NOT NULL,
    updated_at      timestamptz NOT NULL,
    completed_at    timestamptz
);

-- Anonymous daily counts of completed wrap-ups: no conversation, no
-- counsellor, written in the wrap-up's own transaction; what the
-- transparency report reads, and all that remains once a seeker erases
-- their conversation.
CREATE TABLE wrapup_counts (
    day          date NOT NULL,
    form_version text NOT NULL,
    field        text NOT NULL,
    value        text NOT NULL,
    n            bigint NOT NULL,
    PRIMARY KEY (day, form_version, field, value)
);

-- +goose Down
DROP TABLE wrapup_counts;
DROP TABLE wrapups;
DROP TABLE case_notes;
DROP TABLE prepared_answers;
