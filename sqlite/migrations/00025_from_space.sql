-- A member of a service mailbox may send a deposit on behalf of it: the
-- mailbox is kept on the deposit (NULL: sent in person), and its members
-- see the deposit as its sender does. PostgreSQL has its copy in
-- postgres/migrations/00025_from_space.sql.

-- +goose Up
ALTER TABLE deposits ADD COLUMN from_space_id TEXT REFERENCES users (id);
CREATE INDEX deposits_from_space ON deposits (from_space_id, created_at, id) WHERE from_space_id IS NOT NULL;

-- +goose Down
DROP INDEX deposits_from_space;
ALTER TABLE deposits DROP COLUMN from_space_id;
