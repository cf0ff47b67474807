-- A deposit keeps the Idempotency-Key its creation request carried and the
-- sealed digest of that request, so that a repeat of the creation (a
-- reload, a resent request, a client's retry) finds the deposit rather
-- than making a second one, on any node. A sender's key is unique among
-- their deposits; a deposit gives its key up once it is older than the
-- key's lifetime (navette.IdempotencyKeyLifetime), when a new deposit
-- takes it. Deposits made before hold no key. PostgreSQL has its copy in
-- postgres/migrations/00037_idempotency_key.sql.

-- +goose Up
ALTER TABLE deposits ADD COLUMN idempotency_key TEXT;
ALTER TABLE deposits ADD COLUMN request_digest BLOB;
CREATE UNIQUE INDEX deposits_idempotency_key ON deposits (sender_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP INDEX deposits_idempotency_key;
ALTER TABLE deposits DROP COLUMN request_digest;
ALTER TABLE deposits DROP COLUMN idempotency_key;
