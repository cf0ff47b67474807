-- A deposit's recipients may be told that its sender withdrew it (notice
-- kind 'withdrawn'). PostgreSQL has its copy in
-- postgres/migrations/00019_withdrawn.sql.
--
-- SQLite cannot alter a CHECK constraint, so notices is rebuilt.

-- +goose Up
CREATE TABLE notices_v19 (
    id              TEXT NOT NULL PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked', 'content_alert', 'extended', 'withdrawn')),
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
INSERT INTO notices_v19 SELECT id, kind, user_id, deposit_id, state, attempts, next_attempt_at, last_error, created_at, sent_at, key_id, key_data, payload FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v19 RENAME TO notices;
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);

-- +goose Down
DELETE FROM notices WHERE kind = 'withdrawn';
CREATE TABLE notices_v18 (
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
INSERT INTO notices_v18 SELECT * FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v18 RENAME TO notices;
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);
