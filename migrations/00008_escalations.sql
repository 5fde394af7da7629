-- +goose Up
-- Escalations (routing/escalation): a counsellor asks a supervisor for help
-- with a conversation, or for a debrief. They stay with the conversation
-- (and so follow its transfers) and go with it at retention or erasure. A
-- debrief asked for outside any conversation has no conversation_id.
-- raised_by 0 is the service itself (raised automatically).
CREATE TABLE escalations (
    id               text PRIMARY KEY,
    conversation_id  uuid REFERENCES conversations (id) ON DELETE CASCADE,
    raised_by        bigint NOT NULL,
    raised_by_name   text NOT NULL,
    reason           text NOT NULL CHECK (reason IN ('child_at_risk', 'self_harm', 'acute_distress',
                                                     'abusive_or_testing', 'need_advice', 'debrief')),
    urgency          text NOT NULL CHECK (urgency IN ('now', 'soon', 'when_possible')),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
    raised_at        timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    nobody_on_shift  boolean NOT NULL DEFAULT false,
    late_alerted_at  timestamptz,
    ack_by           bigint,
    ack_by_name      text NOT NULL DEFAULT '',
    ack_at           timestamptz,
    resolved_by      bigint,
    resolved_by_name text NOT NULL DEFAULT '',
    resolved_at      timestamptz,
    outcome          text NOT NULL DEFAULT ''
);
-- One open escalation per conversation and reason (per counsellor for a
-- debrief outside a conversation): raising again adds a note to it.
CREATE UNIQUE INDEX escalations_one_open ON escalations (conversation_id, reason)
    WHERE status <> 'resolved' AND conversation_id IS NOT NULL;
CREATE UNIQUE INDEX escalations_one_open_alone ON escalations (raised_by, reason)
    WHERE status <> 'resolved' AND conversation_id IS NULL;
CREATE INDEX escalations_conversation ON escalations (conversation_id);
CREATE INDEX escalations_unresolved ON escalations (raised_at) WHERE status <> 'resolved';
-- The deadline sweep every instance runs: open, not yet re-alerted.
CREATE INDEX escalations_due ON escalations (due_at) WHERE status = 'open' AND late_alerted_at IS NULL;
CREATE INDEX escalations_raised_by ON escalations (raised_by, raised_at);
-- Debriefs asked outside any conversation have no conversation to go with:
-- once resolved they are deleted after the retention period (Store.Expire).
CREATE INDEX escalations_alone_resolved ON escalations (resolved_at) WHERE conversation_id IS NULL AND status = 'resolved';

-- Notes of an escalation, sealed like message bodies (key_id + body, bound
-- to the row's id). request_id is the client's id of the raise that wrote
-- the note: a retried request finds it and stores nothing.
CREATE TABLE escalation_notes (
    id              text PRIMARY KEY,
    escalation_id   text NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES conversations (id) ON DELETE CASCADE,
    staff_id        bigint NOT NULL,
    staff_name      text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('raise', 'resolve')),
    request_id      text,
    key_id          text NOT NULL,
    body            bytea NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX escalation_notes_escalation ON escalation_notes (escalation_id, created_at);
CREATE UNIQUE INDEX escalation_notes_request ON escalation_notes (staff_id, request_id) WHERE request_id IS NOT NULL;

-- Supervisors and admins with the supervisor page open, as last heard from
-- the page (it asks for the open escalations every 30 seconds).
CREATE TABLE escalation_watchers (
    staff_id bigint PRIMARY KEY,
    role     text NOT NULL,
    seen_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE escalation_watchers;
DROP TABLE escalation_notes;
DROP TABLE escalations;
