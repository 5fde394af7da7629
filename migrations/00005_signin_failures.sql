-- +goose Up
-- Failed sign-ins per username, shared by every instance and kept across
-- restarts, so that the lockout holds however many instances run. A row
-- counts the failures until `until` (the last failure plus the lock time);
-- after that it no longer counts and is deleted by the next failure anywhere.
-- Holds usernames as typed, never an address.
CREATE TABLE signin_failures (
    username text PRIMARY KEY,
    failures int NOT NULL CHECK (failures >= 1),
    until    timestamptz NOT NULL
);
CREATE INDEX signin_failures_until ON signin_failures (until);

-- +goose Down
DROP TABLE signin_failures;
