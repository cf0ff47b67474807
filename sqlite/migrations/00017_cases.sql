-- Cases (navette.CaseStore): a case is named by keyed digests of its
-- normalised reference, court and parties' organisations (one per MAC key,
-- so that keys can rotate; never the reference itself), and groups the
-- deposits that joined it. A deposit's recipients may be told that its
-- sender extended it (notice kind 'extended'). PostgreSQL has its copy in
-- postgres/migrations/00017_cases.sql.
--
-- SQLite cannot alter a CHECK constraint, so notices is rebuilt.

-- +goose Up
CREATE TABLE cases (
    id         TEXT NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL
);
CREATE TABLE case_keys (
    digest     BLOB NOT NULL PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX case_keys_case ON case_keys (case_id);
CREATE TABLE case_deposits (
    deposit_id TEXT NOT NULL PRIMARY KEY REFERENCES deposits (id),
    case_id    TEXT NOT NULL REFERENCES cases (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX case_deposits_case ON case_deposits (case_id, deposit_id);

CREATE TABLE notices_v17 (
    id              TEXT NOT NULL PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked', 'content_alert', 'extended')),
    user_id         TEXT NOT NULL REFERENCES users (id),
    deposit_id      TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    key_id          TEXT NOT NULL DEFAULT '',
    key_data        BLOB,
    payload         BLOB
);
INSERT INTO notices_v17 SELECT id, kind, user_id, deposit_id, state, attempts, next_attempt_at, last_error, created_at, sent_at, key_id, key_data, payload FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v17 RENAME TO notices;
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);

-- +goose Down
DELETE FROM notices WHERE kind = 'extended';
CREATE TABLE notices_v16 (
    id              TEXT NOT NULL PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked', 'content_alert')),
    user_id         TEXT NOT NULL REFERENCES users (id),
    deposit_id      TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    key_id          TEXT NOT NULL DEFAULT '',
    key_data        BLOB,
    payload         BLOB
);
INSERT INTO notices_v16 SELECT * FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v16 RENAME TO notices;
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);

DROP TABLE case_deposits;
DROP TABLE case_keys;
DROP TABLE cases;
