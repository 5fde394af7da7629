-- +goose Up
-- The switchboard: skills whose offers a supervisor paused. language ''
-- pauses the audience in every language. No conversation data: one row per
-- paused skill, who paused it (staff id and display name) and since when.
CREATE TABLE switchboard_pauses (
    audience       text NOT NULL,
    language       text NOT NULL DEFAULT '',
    paused_by      bigint NOT NULL,
    paused_by_name text NOT NULL,
    paused_at      timestamptz NOT NULL,
    PRIMARY KEY (audience, language)
);

-- Breaks, for the supervisor page's team panel: each member's current
-- status since when, and when their last break ended.
CREATE TABLE staff_breaks (
    staff_id       bigint PRIMARY KEY,
    status         text NOT NULL,
    status_since   timestamptz NOT NULL,
    break_ended_at timestamptz
);

-- The live-conversation list pages through active conversations by
-- assignment time.
CREATE INDEX conversations_live ON conversations (assigned_at, id) WHERE status = 'active';

-- +goose Down
DROP INDEX conversations_live;
DROP TABLE staff_breaks;
DROP TABLE switchboard_pauses;
