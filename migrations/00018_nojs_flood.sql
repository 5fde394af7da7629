-- +goose Up
-- Erasure withdraws a warm referral not yet delivered. When a conversation
-- is deleted (the seeker's "delete this conversation", or retention), its
-- referrals go with it (ON DELETE CASCADE); this trigger, in that same
-- transaction, deletes the outbox row of each consented referral that was
-- not delivered yet (pending, or given up and waiting for a supervisor's
-- retry), so nothing the seeker shared is sent afterwards and nothing of it
-- stays. A delivered row is left to its retention. The anonymous daily
-- counts (referral_counts) are not touched.
-- +goose StatementBegin
CREATE FUNCTION referrals_erase_undelivered() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.warm = 'consented' AND OLD.delivery_id <> '' THEN
        DELETE FROM referral_deliveries WHERE id = OLD.delivery_id AND status IN ('pending', 'dead');
    END IF;
    RETURN OLD;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER referrals_erase_undelivered AFTER DELETE ON referrals
    FOR EACH ROW EXECUTE FUNCTION referrals_erase_undelivered();

-- The flood waiting step (chat/flood): one row, read by every instance.
-- by_name is the staff member's display name as it was when they switched.
CREATE TABLE flood_switch (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    enabled  boolean NOT NULL,
    by_staff bigint NOT NULL,
    by_name  text NOT NULL,
    since    timestamptz NOT NULL
);

-- Proofs and tickets already used to start a conversation, until they
-- expire: each starts one conversation, on whichever instance. Only a
-- random id and its expiry; nothing about the visitor.
CREATE TABLE flood_spent (
    id         text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX flood_spent_expires ON flood_spent (expires_at);

-- +goose Down
DROP TABLE flood_spent;
DROP TABLE flood_switch;
DROP TRIGGER referrals_erase_undelivered ON referrals;
DROP FUNCTION referrals_erase_undelivered();
