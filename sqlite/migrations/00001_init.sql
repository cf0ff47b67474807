-- Navette's metadata schema. Kept portable: PostgreSQL gets its own copy
-- with BIGINT for INTEGER, BYTEA for BLOB and an identity column for seq.
-- Times are Unix microseconds (UTC), NULL for none; booleans are 0 or 1;
-- empty byte strings are NULL.

-- +goose Up
CREATE TABLE users (
    id         TEXT NOT NULL PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL CHECK (role IN ('agent', 'partner', 'admin')),
    disabled   INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at INTEGER NOT NULL
);

CREATE TABLE tokens (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    hash       BLOB NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE deposits (
    id             TEXT NOT NULL PRIMARY KEY,
    sender_id      TEXT NOT NULL REFERENCES users (id),
    state          TEXT NOT NULL CHECK (state IN ('draft', 'checking', 'available', 'revoked', 'expired')),
    retention_days INTEGER NOT NULL,
    key_id         TEXT NOT NULL DEFAULT '',
    key_data       BLOB,
    reference      BLOB,
    message        BLOB,
    created_at     INTEGER NOT NULL,
    submitted_at   INTEGER,
    available_at   INTEGER,
    expires_at     INTEGER,
    revoked_at     INTEGER,
    purged_at      INTEGER
);
-- The sent box, newest first.
CREATE INDEX deposits_sender ON deposits (sender_id, created_at, id);
-- DueDeposits: available ones past expiry, revoked or expired ones not
-- purged, abandoned drafts.
CREATE INDEX deposits_expiry ON deposits (state, expires_at);
CREATE INDEX deposits_purge ON deposits (state, purged_at);
CREATE INDEX deposits_created ON deposits (state, created_at);

CREATE TABLE deposit_recipients (
    deposit_id        TEXT NOT NULL REFERENCES deposits (id),
    user_id           TEXT NOT NULL REFERENCES users (id),
    first_download_at INTEGER,
    PRIMARY KEY (deposit_id, user_id)
);
-- The inbox.
CREATE INDEX deposit_recipients_user ON deposit_recipients (user_id, deposit_id);

CREATE TABLE files (
    id           TEXT NOT NULL PRIMARY KEY,
    deposit_id   TEXT NOT NULL REFERENCES deposits (id),
    name         BLOB,
    size         INTEGER NOT NULL CHECK (size >= 0),
    stored_bytes INTEGER NOT NULL DEFAULT 0 CHECK (stored_bytes >= 0),
    state        TEXT NOT NULL CHECK (state IN ('uploading', 'stored', 'available', 'rejected', 'purged')),
    key_id       TEXT NOT NULL DEFAULT '',
    key_data     BLOB,
    resume       BLOB,
    sha256       BLOB,
    created_at   INTEGER NOT NULL,
    stored_at    INTEGER,
    blob_deleted INTEGER NOT NULL DEFAULT 0 CHECK (blob_deleted IN (0, 1))
);
CREATE INDEX files_deposit ON files (deposit_id, created_at, id);
-- BlobsToDelete: purged files whose blob remains, a short list.
CREATE INDEX files_blobs_to_delete ON files (id) WHERE state = 'purged' AND blob_deleted = 0;

-- The journal: append-only, enforced by the triggers below.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    time       INTEGER NOT NULL,
    type       TEXT NOT NULL,
    actor_id   TEXT NOT NULL DEFAULT '',
    deposit_id TEXT NOT NULL DEFAULT '',
    file_id    TEXT NOT NULL DEFAULT '',
    size       INTEGER NOT NULL DEFAULT 0,
    sha256     BLOB,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_deposit ON events (deposit_id, seq);

-- +goose StatementBegin
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER events_no_delete;
DROP TRIGGER events_no_update;
DROP TABLE events;
DROP TABLE files;
DROP TABLE deposit_recipients;
DROP TABLE deposits;
DROP TABLE tokens;
DROP TABLE users;
