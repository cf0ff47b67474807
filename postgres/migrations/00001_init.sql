-- Navette's metadata schema for PostgreSQL: the copy of the SQLite one
-- (sqlite/migrations/00001_init.sql) that behaves the same. BIGINT for
-- INTEGER, BYTEA for BLOB, an identity column for seq. Every text column is
-- COLLATE "C", so that text sorts and compares by bytes as in SQLite,
-- whatever the database's locale.
-- Times are Unix microseconds (UTC), NULL for none; booleans are 0 or 1;
-- empty byte strings are NULL.

-- +goose Up
CREATE TABLE users (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    email      TEXT COLLATE "C" NOT NULL UNIQUE,
    name       TEXT COLLATE "C" NOT NULL DEFAULT '',
    role       TEXT COLLATE "C" NOT NULL CHECK (role IN ('agent', 'partner', 'admin')),
    disabled   BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    hash       BYTEA NOT NULL UNIQUE,
    label      TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE deposits (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    sender_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    state          TEXT COLLATE "C" NOT NULL CHECK (state IN ('draft', 'checking', 'available', 'revoked', 'expired')),
    retention_days BIGINT NOT NULL,
    key_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
    key_data       BYTEA,
    reference      BYTEA,
    message        BYTEA,
    created_at     BIGINT NOT NULL,
    submitted_at   BIGINT,
    available_at   BIGINT,
    expires_at     BIGINT,
    revoked_at     BIGINT,
    purged_at      BIGINT
);
-- The sent box, newest first.
CREATE INDEX deposits_sender ON deposits (sender_id, created_at, id);
-- DueDeposits: available ones past expiry, revoked or expired ones not
-- purged, abandoned drafts.
CREATE INDEX deposits_expiry ON deposits (state, expires_at);
CREATE INDEX deposits_purge ON deposits (state, purged_at);
CREATE INDEX deposits_created ON deposits (state, created_at);

CREATE TABLE deposit_recipients (
    deposit_id        TEXT COLLATE "C" NOT NULL REFERENCES deposits (id),
    user_id           TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    first_download_at BIGINT,
    PRIMARY KEY (deposit_id, user_id)
);
-- The inbox.
CREATE INDEX deposit_recipients_user ON deposit_recipients (user_id, deposit_id);

CREATE TABLE files (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    deposit_id   TEXT COLLATE "C" NOT NULL REFERENCES deposits (id),
    name         BYTEA,
    size         BIGINT NOT NULL CHECK (size >= 0),
    stored_bytes BIGINT NOT NULL DEFAULT 0 CHECK (stored_bytes >= 0),
    state        TEXT COLLATE "C" NOT NULL CHECK (state IN ('uploading', 'stored', 'available', 'rejected', 'purged')),
    key_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
    key_data     BYTEA,
    resume       BYTEA,
    sha256       BYTEA,
    created_at   BIGINT NOT NULL,
    stored_at    BIGINT,
    blob_deleted BIGINT NOT NULL DEFAULT 0 CHECK (blob_deleted IN (0, 1))
);
CREATE INDEX files_deposit ON files (deposit_id, created_at, id);
-- BlobsToDelete: purged files whose blob remains, a short list.
CREATE INDEX files_blobs_to_delete ON files (id) WHERE state = 'purged' AND blob_deleted = 0;

-- The journal: append-only, enforced by the triggers below. Identity values
-- are never reused, like SQLite's AUTOINCREMENT.
CREATE TABLE events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time       BIGINT NOT NULL,
    type       TEXT COLLATE "C" NOT NULL,
    actor_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    deposit_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    file_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    size       BIGINT NOT NULL DEFAULT 0,
    sha256     BYTEA,
    detail     TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX events_deposit ON events (deposit_id, seq);

-- +goose StatementBegin
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
-- SQLite has no TRUNCATE; here it would bypass the row triggers.
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- +goose Down
DROP TRIGGER events_no_truncate ON events;
DROP TRIGGER events_no_delete ON events;
DROP TRIGGER events_no_update ON events;
DROP FUNCTION events_append_only();
DROP TABLE events;
DROP TABLE files;
DROP TABLE deposit_recipients;
DROP TABLE deposits;
DROP TABLE tokens;
DROP TABLE users;
