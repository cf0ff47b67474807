-- The kinds of notice live in a table instead of a CHECK list, so that a
-- new kind is one INSERT in its own migration rather than a rebuild of
-- notices (SQLite cannot alter a CHECK constraint; notices was rebuilt
-- three times). PostgreSQL has its copy in
-- postgres/migrations/00021_notice_kinds.sql.

-- +goose Up
CREATE TABLE notice_kinds (
    kind TEXT NOT NULL PRIMARY KEY
);
INSERT INTO notice_kinds (kind) VALUES ('deposit'), ('reminder'), ('receipt'), ('expiry_report'), ('sign_in_code'), ('access_revoked'), ('content_alert'), ('extended'), ('withdrawn');
CREATE TABLE notices_v21 (
    id              TEXT NOT NULL PRIMARY KEY,
    kind            TEXT NOT NULL REFERENCES notice_kinds (kind),
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
INSERT INTO notices_v21 SELECT id, kind, user_id, deposit_id, state, attempts, next_attempt_at, last_error, created_at, sent_at, key_id, key_data, payload FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v21 RENAME TO notices;
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);

-- +goose Down
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
INSERT INTO notices_v19 SELECT * FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v19 RENAME TO notices;
DROP TABLE notice_kinds;
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);
