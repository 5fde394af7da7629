-- +goose Up
-- Care for counsellors (counselors/care): how much each staff member has
-- taken on, for themselves and their supervisors only; never in reports or
-- metrics. Kept for HELPLINE_CARE_DAYS, then deleted (care.Service.Run).

-- A spell is one staff member taking part in one conversation, from when
-- they took it (or joined it) until it ended or left them. When the
-- conversation is deleted (retention or the seeker's erasure) the spell
-- stays as a bare duration: the link to the conversation goes.
CREATE TABLE care_spells (
    id              bigserial PRIMARY KEY,
    staff_id        bigint NOT NULL,
    conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
    started_at      timestamptz NOT NULL,
    ended_at        timestamptz,
    high_risk       boolean NOT NULL DEFAULT false,
    escalated       boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX care_spells_open ON care_spells (conversation_id, staff_id) WHERE ended_at IS NULL;
CREATE INDEX care_spells_staff ON care_spells (staff_id, started_at);

-- What is known of a conversation before (or while) someone holds it: a
-- risk flag or an escalation. A spell that begins later starts marked.
CREATE TABLE care_marks (
    conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    high_risk       boolean NOT NULL DEFAULT false,
    escalated       boolean NOT NULL DEFAULT false,
    marked_at       timestamptz NOT NULL
);

-- Breaks: from the status changes routing reports (routing.Config.OnStatus).
CREATE TABLE care_breaks (
    id         bigserial PRIMARY KEY,
    staff_id   bigint NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz
);
CREATE UNIQUE INDEX care_breaks_open ON care_breaks (staff_id) WHERE ended_at IS NULL;
CREATE INDEX care_breaks_staff ON care_breaks (staff_id, started_at);

-- +goose Down
DROP TABLE care_breaks;
DROP TABLE care_marks;
DROP TABLE care_spells;
