-- Evidence of deposits outlives their files: each deposit gets a proof key
-- (wrapped by a key-encryption key) that the purge leaves, and the claims
-- document of every event that matters to it is kept sealed under that key
-- until its proof retention ends (proof_until, set at the purge).
-- SQLite has its copy in navette/sqlite.

-- +goose Up
ALTER TABLE deposits ADD COLUMN proof_key_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE deposits ADD COLUMN proof_key_data BYTEA;
ALTER TABLE deposits ADD COLUMN proof_until BIGINT;
-- DueEvidence.
CREATE INDEX deposits_proof_until ON deposits (proof_until) WHERE proof_until IS NOT NULL;

CREATE TABLE evidence (
    digest     BYTEA NOT NULL PRIMARY KEY,
    deposit_id TEXT COLLATE "C" NOT NULL REFERENCES deposits (id),
    kind       TEXT COLLATE "C" NOT NULL,
    sealed     BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX evidence_deposit ON evidence (deposit_id, created_at);

-- +goose Down
DROP TABLE evidence;
DROP INDEX deposits_proof_until;
ALTER TABLE deposits DROP COLUMN proof_until;
ALTER TABLE deposits DROP COLUMN proof_key_data;
ALTER TABLE deposits DROP COLUMN proof_key_id;
