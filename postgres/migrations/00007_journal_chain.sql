-- The journal becomes a hash chain: each event keeps the hash that links it
-- to the one before it (navette.ChainHash). Events journaled before this
-- version have none: the chain begins after them. SQLite has its copy in navette/sqlite.

-- +goose Up
ALTER TABLE events ADD COLUMN hash BYTEA;

-- +goose Down
ALTER TABLE events DROP COLUMN hash;
