-- A sender may cap the complete downloads of each file by each recipient
-- person (0: no cap). SQLite has its copy in
-- sqlite/migrations/00020_download_limits.sql.

-- +goose Up
ALTER TABLE deposits ADD COLUMN max_downloads INTEGER NOT NULL DEFAULT 0 CHECK (max_downloads >= 0);

-- +goose Down
ALTER TABLE deposits DROP COLUMN max_downloads;
