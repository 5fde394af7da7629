-- +goose Up
-- Anonymous counts for the transparency report, kept by the chat stores in
-- the same transaction as the state change they count (chat/tally.go).
-- Nothing here names a conversation, a counsellor or a moment finer than a
-- day; region is already coarse. shard spreads concurrent increments of
-- one busy row over a few rows; readers sum over it.
CREATE TABLE report_tallies (
    day       date NOT NULL,
    audience  text NOT NULL,
    language  text NOT NULL,
    region    text NOT NULL,
    metric    text NOT NULL,
    outcome   text NOT NULL,
    bucket    smallint NOT NULL,
    shard     smallint NOT NULL,
    count     bigint NOT NULL,
    PRIMARY KEY (day, audience, language, region, metric, outcome, bucket, shard)
);

-- Seekers' anonymous feedback (counselors/feedback): the ISO week and the
-- language, no conversation, no counsellor, no time of day. helpful is 1–4,
-- feeling 1–5, either may be absent.
CREATE TABLE feedback_answers (
    id        text PRIMARY KEY,
    week      text NOT NULL,
    language  text NOT NULL,
    helpful   smallint CHECK (helpful BETWEEN 1 AND 4),
    feeling   smallint CHECK (feeling BETWEEN 1 AND 5)
);
CREATE INDEX feedback_answers_week ON feedback_answers (week);

-- Free text, sealed like message bodies, in its own table so that no row
-- ties a comment to its answers; deleted after the retention period.
CREATE TABLE feedback_comments (
    id        text PRIMARY KEY,
    week      text NOT NULL,
    language  text NOT NULL,
    key_id    text NOT NULL,
    body      bytea NOT NULL
);
CREATE INDEX feedback_comments_week ON feedback_comments (week);

-- Which conversations have answered, so that feedback is given once; it goes
-- with the conversation. It holds no answer.
CREATE TABLE feedback_given (
    conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE feedback_given;
DROP TABLE feedback_comments;
DROP TABLE feedback_answers;
DROP TABLE report_tallies;
