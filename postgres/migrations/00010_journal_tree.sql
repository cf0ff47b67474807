-- The journal becomes a Merkle tree (RFC 6962, see docs/proofs.md):
-- each event is a leaf, numbered from 0 in the order of appends; the tree's
-- stored hashes (golang.org/x/mod/sumdb/tlog's StoredHashes, by stored hash
-- index) are appended with the events; signed checkpoints of the tree are
-- kept with their time-stamp token. Events journaled before get their leaf
-- here, in sequence order; their hashes are computed when the store opens.
-- Events may carry the SHA-256 of a claims document. SQLite has its copy in
-- navette/sqlite.

-- +goose Up
ALTER TABLE events ADD COLUMN leaf BIGINT;
ALTER TABLE events ADD COLUMN claims BYTEA;

ALTER TABLE events DISABLE TRIGGER events_no_update;
UPDATE events SET leaf = r.n
    FROM (SELECT seq, row_number() OVER (ORDER BY seq) - 1 AS n FROM events) AS r
    WHERE events.seq = r.seq;
ALTER TABLE events ENABLE TRIGGER events_no_update;
CREATE UNIQUE INDEX events_leaf ON events (leaf);

CREATE TABLE journal_hashes (
    idx  BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION journal_hashes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal tree is append-only';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER journal_hashes_no_update BEFORE UPDATE ON journal_hashes
    FOR EACH ROW EXECUTE FUNCTION journal_hashes_append_only();
CREATE TRIGGER journal_hashes_no_delete BEFORE DELETE ON journal_hashes
    FOR EACH ROW EXECUTE FUNCTION journal_hashes_append_only();
CREATE TRIGGER journal_hashes_no_truncate BEFORE TRUNCATE ON journal_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION journal_hashes_append_only();

CREATE TABLE journal_checkpoints (
    size       BIGINT PRIMARY KEY,
    root       BYTEA NOT NULL,
    note       BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    token      BYTEA,
    stamped_at BIGINT
);
CREATE INDEX journal_checkpoints_unstamped ON journal_checkpoints (size) WHERE token IS NULL;

-- A checkpoint is kept as signed; only its time-stamp token may be added.
-- +goose StatementBegin
CREATE FUNCTION journal_checkpoints_as_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.size IS DISTINCT FROM OLD.size OR NEW.root IS DISTINCT FROM OLD.root
        OR NEW.note IS DISTINCT FROM OLD.note OR NEW.created_at IS DISTINCT FROM OLD.created_at
        OR (OLD.token IS NOT NULL AND (NEW.token IS DISTINCT FROM OLD.token OR NEW.stamped_at IS DISTINCT FROM OLD.stamped_at)) THEN
        RAISE EXCEPTION 'checkpoints are kept as signed';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER journal_checkpoints_no_update BEFORE UPDATE ON journal_checkpoints
    FOR EACH ROW EXECUTE FUNCTION journal_checkpoints_as_signed();
CREATE TRIGGER journal_checkpoints_no_delete BEFORE DELETE ON journal_checkpoints
    FOR EACH ROW EXECUTE FUNCTION journal_checkpoints_as_signed();
CREATE TRIGGER journal_checkpoints_no_truncate BEFORE TRUNCATE ON journal_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION journal_checkpoints_as_signed();

-- +goose Down
DROP TABLE journal_checkpoints;
DROP FUNCTION journal_checkpoints_as_signed();
DROP TABLE journal_hashes;
DROP FUNCTION journal_hashes_append_only();
DROP INDEX events_leaf;
ALTER TABLE events DROP COLUMN claims;
ALTER TABLE events DROP COLUMN leaf;
