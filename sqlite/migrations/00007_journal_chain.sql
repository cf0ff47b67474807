-- The journal becomes a hash chain: each event keeps the hash that links it
-- to the one before it (navette.ChainHash). Events journaled before this
-- version have none: the chain begins after them. PostgreSQL has its copy in navette/postgres.

-- +goose Up
ALTER TABLE events ADD COLUMN hash BLOB;

-- +goose Down
ALTER TABLE events DROP COLUMN hash;
