-- A forward knows its original: forwarded_from is the deposit a forward
-- passes on (NULL for a deposit that forwards none), so that a deposit's
-- view lists its forwards by one index seek instead of reading its whole
-- journal. It is no foreign key: an original row is never deleted, and a
-- store's copy (migrate) writes the deposits in id order, a forward perhaps
-- before its original. The forwards made before are found by their
-- deposit.forwarded events, journaled on the original with the forward's
-- id as detail. SQLite has its copy in
-- sqlite/migrations/00036_forwarded_from.sql.

-- +goose Up
ALTER TABLE deposits ADD COLUMN forwarded_from TEXT COLLATE "C";
UPDATE deposits SET forwarded_from = e.deposit_id
    FROM (SELECT detail, deposit_id FROM events WHERE type = 'deposit.forwarded') e
    WHERE deposits.id = e.detail;
CREATE INDEX deposits_forwarded_from ON deposits (forwarded_from, created_at, id) WHERE forwarded_from IS NOT NULL;

-- +goose Down
DROP INDEX deposits_forwarded_from;
ALTER TABLE deposits DROP COLUMN forwarded_from;
