-- Forwards: a forwarded file shares the sealed blob of the file it was
-- forwarded from (blob_id, NULL for a file with its own blob), and the
-- sender of a deposit is told when a recipient forwards it. SQLite has
-- its copy in sqlite/migrations/00022_forwards.sql.

-- +goose Up
ALTER TABLE files ADD COLUMN blob_id TEXT COLLATE "C";
-- The holders of a shared blob: the purge keeps a blob while one is live.
CREATE INDEX files_blob ON files (blob_id) WHERE blob_id IS NOT NULL;
INSERT INTO notice_kinds (kind) VALUES ('forwarded');

-- +goose Down
DELETE FROM notices WHERE kind = 'forwarded';
DELETE FROM notice_kinds WHERE kind = 'forwarded';
DROP INDEX files_blob;
ALTER TABLE files DROP COLUMN blob_id;
