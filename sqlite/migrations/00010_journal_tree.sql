-- The journal becomes a Merkle tree (RFC 6962, see docs/proofs.md):
-- each event is a leaf, numbered from 0 in the order of appends; the tree's
-- stored hashes (golang.org/x/mod/sumdb/tlog's StoredHashes, by stored hash
-- index) are appended with the events; signed checkpoints of the tree are
-- kept with their time-stamp token. Events journaled before get their leaf
-- here, in sequence order; their hashes are computed when the store opens.
-- Events may carry the SHA-256 of a claims document. PostgreSQL has its
-- copy in navette/postgres.

-- +goose Up
ALTER TABLE events ADD COLUMN leaf INTEGER;
ALTER TABLE events ADD COLUMN claims BLOB;

DROP TRIGGER events_no_update;
UPDATE events SET leaf = r.n
    FROM (SELECT seq, row_number() OVER (ORDER BY seq) - 1 AS n FROM events) AS r
    WHERE events.seq = r.seq;
-- +goose StatementBegin
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
-- +goose StatementEnd
CREATE UNIQUE INDEX events_leaf ON events (leaf);

CREATE TABLE journal_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER journal_hashes_no_update BEFORE UPDATE ON journal_hashes
BEGIN
    SELECT RAISE(ABORT, 'the journal tree is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER journal_hashes_no_delete BEFORE DELETE ON journal_hashes
BEGIN
    SELECT RAISE(ABORT, 'the journal tree is append-only');
END;
-- +goose StatementEnd

CREATE TABLE journal_checkpoints (
    size       INTEGER PRIMARY KEY,
    root       BLOB NOT NULL,
    note       BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    token      BLOB,
    stamped_at INTEGER
);
CREATE INDEX journal_checkpoints_unstamped ON journal_checkpoints (size) WHERE token IS NULL;

-- A checkpoint is kept as signed; only its time-stamp token may be added.
-- +goose StatementBegin
CREATE TRIGGER journal_checkpoints_no_update BEFORE UPDATE ON journal_checkpoints
WHEN NEW.size IS NOT OLD.size OR NEW.root IS NOT OLD.root OR NEW.note IS NOT OLD.note
    OR NEW.created_at IS NOT OLD.created_at
    OR (OLD.token IS NOT NULL AND (NEW.token IS NOT OLD.token OR NEW.stamped_at IS NOT OLD.stamped_at))
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are kept as signed');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER journal_checkpoints_no_delete BEFORE DELETE ON journal_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are kept as signed');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE journal_checkpoints;
DROP TABLE journal_hashes;
DROP INDEX events_leaf;
ALTER TABLE events DROP COLUMN claims;
ALTER TABLE events DROP COLUMN leaf;
