-- +goose Up
-- A shared prepared answer is retired, not deleted: it leaves the
-- counsellors' search, stays for the admins to see and bring back.
ALTER TABLE prepared_answers ADD COLUMN retired_at timestamptz;

-- Every version of the wrap-up form (counselors/wrapup): the newest (by
-- seq) is the one new wrap-ups are written with; older ones stay, because
-- wrap-ups name the version they were written with. Rows are never
-- changed or deleted. created_by 0: the deployment's file.
CREATE TABLE wrapup_forms (
    seq        bigserial PRIMARY KEY,
    version    text NOT NULL UNIQUE,
    form       jsonb NOT NULL,
    created_by bigint NOT NULL,
    created_at timestamptz NOT NULL
);

-- Every version of every risk phrase list (chat/riskflag): per name the
-- newest (by seq) is matched; a flag names the list and version it matched.
-- max(seq) is the revision every instance checks to pick up a change.
-- created_by 0: shipped with the service or read from
-- HELPLINE_RISK_PHRASES_DIR.
CREATE TABLE risk_phrase_lists (
    seq        bigserial PRIMARY KEY,
    name       text NOT NULL,
    version    text NOT NULL,
    list       jsonb NOT NULL,
    created_by bigint NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (name, version)
);

-- +goose Down
DROP TABLE risk_phrase_lists;
DROP TABLE wrapup_forms;
ALTER TABLE prepared_answers DROP COLUMN retired_at;
