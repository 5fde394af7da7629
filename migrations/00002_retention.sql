-- +goose Up
-- What remains of a conversation after its content is deleted: anonymous
-- counts per day, with nothing that could point to a person.
CREATE TABLE stats_daily (
    day        date NOT NULL,
    audience   text NOT NULL,
    language   text NOT NULL,
    ended_by   text NOT NULL,
    answered   boolean NOT NULL,
    count      bigint NOT NULL,
    PRIMARY KEY (day, audience, language, ended_by, answered)
);
CREATE INDEX conversations_created ON conversations (created_at);

-- +goose Down
DROP INDEX conversations_created;
DROP TABLE stats_daily;
