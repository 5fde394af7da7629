-- +goose Up
-- Optional second factor for staff (recommended for supervisors and admins):
-- the base32 TOTP secret, empty when not enrolled.
ALTER TABLE staff ADD COLUMN totp_secret text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE staff DROP COLUMN totp_secret;
