-- +goose Up
-- Referrals made in a conversation (routing/referral/refer): which service,
-- when, by whom, and the service's name as the card showed it. They go with
-- the conversation (ON DELETE CASCADE); referral_counts keeps the anonymous
-- daily count. Nothing the seeker typed is here: what they consented to
-- share is only in the sealed outbox row (referral_deliveries).
CREATE TABLE referrals (
    id              text PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    service_id      text NOT NULL,
    service_name    text NOT NULL,
    partner_id      text NOT NULL DEFAULT '',
    staff_id        bigint NOT NULL,
    seq             bigint NOT NULL,
    code            text NOT NULL UNIQUE,
    warm            text NOT NULL DEFAULT ''
                    CHECK (warm IN ('', 'offered', 'consented', 'declined', 'withdrawn')),
    delivery_id     text NOT NULL DEFAULT '',
    contact_made_at timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX referrals_conversation ON referrals (conversation_id, created_at);
CREATE INDEX referrals_delivery ON referrals (delivery_id) WHERE delivery_id <> '';

-- Anonymous counts per day and event (card, warm_offered, consented,
-- withdrawn, contact_made): kept when the referrals themselves are deleted.
CREATE TABLE referral_counts (
    day   date NOT NULL,
    event text NOT NULL,
    n     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, event)
);

-- +goose Down
DROP TABLE referral_counts;
DROP TABLE referrals;
