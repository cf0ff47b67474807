-- Content checks (antivirus, refused types, scrubber): a file is checking
-- from its last byte until they decide; what they found (outcome and
-- detail: a signature's name, a type, where a blob is corrupt), how many
-- times the antivirus could not be reached, and when the background checker
-- takes it next; the content alert to platform admins. PostgreSQL has its
-- copy in postgres/migrations/00016_content_checks.sql.
--
-- SQLite cannot alter a CHECK constraint, so files and notices are rebuilt:
-- each is copied into a new table that takes its name. Only deliveries
-- refers to files: its rows are set aside and the table is made again after
-- files, so that no foreign key ever points at a dropped table. Files stored before this migration were never scanned: they are
-- marked unscanned.

-- +goose Up
CREATE TEMP TABLE deliveries_saved AS SELECT * FROM deliveries;
DROP TABLE deliveries;
CREATE TABLE files_v16 (
    id             TEXT NOT NULL PRIMARY KEY,
    deposit_id     TEXT NOT NULL REFERENCES deposits (id),
    name           BLOB,
    size           INTEGER NOT NULL CHECK (size >= 0),
    stored_bytes   INTEGER NOT NULL DEFAULT 0 CHECK (stored_bytes >= 0),
    state          TEXT NOT NULL CHECK (state IN ('uploading', 'checking', 'stored', 'available', 'rejected', 'purged')),
    key_id         TEXT NOT NULL DEFAULT '',
    key_data       BLOB,
    resume         BLOB,
    sha256         BLOB,
    created_at     INTEGER NOT NULL,
    stored_at      INTEGER,
    blob_deleted   INTEGER NOT NULL DEFAULT 0 CHECK (blob_deleted IN (0, 1)),
    check_outcome  TEXT NOT NULL DEFAULT '',
    check_detail   TEXT NOT NULL DEFAULT '',
    check_attempts INTEGER NOT NULL DEFAULT 0 CHECK (check_attempts >= 0),
    check_after    INTEGER
);
INSERT INTO files_v16 (id, deposit_id, name, size, stored_bytes, state, key_id, key_data, resume, sha256, created_at, stored_at, blob_deleted, check_outcome)
    SELECT id, deposit_id, name, size, stored_bytes, state, key_id, key_data, resume, sha256, created_at, stored_at, blob_deleted,
        CASE WHEN state IN ('stored', 'available') THEN 'unscanned' ELSE '' END FROM files;
DROP TABLE files;
ALTER TABLE files_v16 RENAME TO files;
CREATE INDEX files_deposit ON files (deposit_id, created_at, id);
-- BlobsToDelete: purged files, and rejected ones whose key is destroyed,
-- whose blob remains: a short list.
CREATE INDEX files_blobs_to_delete ON files (id) WHERE blob_deleted = 0 AND (state = 'purged' OR (state = 'rejected' AND key_id = ''));
-- FilesToCheck: files waiting for a verdict, by when they are due.
CREATE INDEX files_to_check ON files (check_after, id) WHERE state = 'checking';

CREATE TABLE deliveries (
    file_id    TEXT NOT NULL REFERENCES files (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    ranges     TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (file_id, user_id)
);
INSERT INTO deliveries SELECT file_id, user_id, ranges, updated_at FROM deliveries_saved;
DROP TABLE deliveries_saved;

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
INSERT INTO notices_v16 SELECT id, kind, user_id, deposit_id, state, attempts, next_attempt_at, last_error, created_at, sent_at, key_id, key_data, payload FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v16 RENAME TO notices;
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);

-- +goose Down
DELETE FROM notices WHERE kind = 'content_alert';
CREATE TABLE notices_v15 (
    id              TEXT NOT NULL PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked')),
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
INSERT INTO notices_v15 SELECT * FROM notices;
DROP TABLE notices;
ALTER TABLE notices_v15 RENAME TO notices;
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);

CREATE TEMP TABLE deliveries_saved AS SELECT * FROM deliveries;
DROP TABLE deliveries;
CREATE TABLE files_v15 (
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
INSERT INTO files_v15 SELECT id, deposit_id, name, size, stored_bytes,
    CASE WHEN state = 'checking' THEN 'stored' ELSE state END,
    key_id, key_data, resume, sha256, created_at, stored_at, blob_deleted FROM files;
DROP TABLE files;
ALTER TABLE files_v15 RENAME TO files;
CREATE INDEX files_deposit ON files (deposit_id, created_at, id);
CREATE INDEX files_blobs_to_delete ON files (id) WHERE state = 'purged' AND blob_deleted = 0;

CREATE TABLE deliveries (
    file_id    TEXT NOT NULL REFERENCES files (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    ranges     TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (file_id, user_id)
);
INSERT INTO deliveries SELECT file_id, user_id, ranges, updated_at FROM deliveries_saved;
DROP TABLE deliveries_saved;
