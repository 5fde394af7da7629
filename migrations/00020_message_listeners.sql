-- +goose Up
-- The instances listening for message notifications (chat.PostgresBroker):
-- a message commit notifies only when an instance other than its writer is
-- listed here, so an instance that is alone pays for no NOTIFY. origin is
-- the random name a listener gives itself (its store's NotifyOrigin, or one
-- of its own); seen is its last heartbeat, on the database's clock. A row
-- whose heartbeat is long stale is removed by any instance. A row with
-- seen = 'infinity' is never removed: an operator can add one (any origin)
-- to make every commit notify, e.g. while instances of a release that does
-- not list itself still run. Nothing about any visitor.
CREATE TABLE message_listeners (
    origin text PRIMARY KEY,
    seen   timestamptz NOT NULL
);

-- +goose Down
DROP TABLE message_listeners;
