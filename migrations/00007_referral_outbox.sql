-- +goose Up
-- Partners that receive warm referrals, entered by an administrator only.
-- Their signing secrets are sealed like message bodies (key_id + secrets).
CREATE TABLE referral_partners (
    id              text PRIMARY KEY,
    name            text NOT NULL,
    url             text NOT NULL,
    key_id          text NOT NULL,
    secrets         bytea NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    allow_private   boolean NOT NULL DEFAULT false,
    disabled_reason text NOT NULL DEFAULT ''
);

-- The outbox: one row per warm referral to deliver. id is the webhook-id,
-- the partner's idempotency key. body is the payload, sealed at rest.
-- last_error is a short reason, never a URL or a body. A deliverer holds a
-- row by writing its claim and claimed_until; the claim is taken with
-- FOR UPDATE SKIP LOCKED so two instances never take the same row.
CREATE TABLE referral_deliveries (
    id              text PRIMARY KEY,
    partner_id      text NOT NULL REFERENCES referral_partners (id),
    key_id          text NOT NULL,
    body            bytea NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'dead', 'withdrawn')),
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    done_at         timestamptz,
    claim           text,
    claimed_until   timestamptz
);
CREATE INDEX referral_deliveries_due ON referral_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX referral_deliveries_done ON referral_deliveries (done_at) WHERE status <> 'pending';

-- +goose Down
DROP TABLE referral_deliveries;
DROP TABLE referral_partners;
