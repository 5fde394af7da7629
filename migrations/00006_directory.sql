-- +goose Up
-- The referral directory (routing/directory): organisations and the local
-- intervention services they run. A service's fields live in body (JSON, as
-- directory.Service encodes them); the columns are what queries and
-- constraints need. Services are soft-deleted (deleted_at), never removed.
CREATE TABLE directory_organizations (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL
);

CREATE TABLE directory_services (
    id              text PRIMARY KEY,
    organization_id text NOT NULL REFERENCES directory_organizations (id),
    status          text NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz,
    body            jsonb NOT NULL
);
CREATE INDEX directory_services_listed ON directory_services (id) WHERE deleted_at IS NULL;

-- +goose Down
DROP TABLE directory_services;
DROP TABLE directory_organizations;
