-- +goose Up
-- Anonymous counts of escalations for the transparency report
-- (routing/escalation/counts.go), added in the same transaction as the
-- change they count: by the day the escalation was raised, a field
-- (by_reason, by_urgency, on_shift, deadline, resolution, acknowledged) and
-- its value. No escalation, conversation or staff id: they stay when the
-- escalations go with their conversations.
CREATE TABLE escalation_counts (
    day   date NOT NULL,
    field text NOT NULL,
    value text NOT NULL,
    n     bigint NOT NULL,
    PRIMARY KEY (day, field, value)
);

-- +goose Down
DROP TABLE escalation_counts;
