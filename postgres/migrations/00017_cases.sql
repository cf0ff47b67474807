-- Cases (navette.CaseStore): a case is named by keyed digests of its
-- normalised reference, court and parties' organisations (one per MAC key,
-- so that keys can rotate; never the reference itself), and groups the
-- deposits that joined it. A deposit's recipients may be told that its
-- sender extended it (notice kind 'extended'). SQLite has its copy in
-- sqlite/migrations/00017_cases.sql.

-- +goose Up
CREATE TABLE cases (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE TABLE case_keys (
    digest     BYTEA NOT NULL PRIMARY KEY,
    case_id    TEXT COLLATE "C" NOT NULL REFERENCES cases (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX case_keys_case ON case_keys (case_id);
CREATE TABLE case_deposits (
    deposit_id TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES deposits (id),
    case_id    TEXT COLLATE "C" NOT NULL REFERENCES cases (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX case_deposits_case ON case_deposits (case_id, deposit_id);
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked', 'content_alert', 'extended'));

-- +goose Down
DELETE FROM notices WHERE kind = 'extended';
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked', 'content_alert'));
DROP TABLE case_deposits;
DROP TABLE case_keys;
DROP TABLE cases;
