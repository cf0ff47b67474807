-- Platform settings an admin changes at run time (size limit, retention
-- ceiling…), one row per setting; a missing row means the server's
-- configuration applies. And when each recipient first opened a deposit,
-- and who (a member, for a service mailbox). SQLite has its copy in
-- navette/sqlite.

-- +goose Up
CREATE TABLE settings (
    name       TEXT COLLATE "C" PRIMARY KEY,
    value      TEXT COLLATE "C" NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT COLLATE "C" NOT NULL DEFAULT ''
);

ALTER TABLE deposit_recipients ADD COLUMN first_opened_at BIGINT;
ALTER TABLE deposit_recipients ADD COLUMN first_opened_by TEXT COLLATE "C" NOT NULL DEFAULT '';
-- A recipient who downloaded had opened the deposit by then at the latest.
UPDATE deposit_recipients SET first_opened_at = first_download_at, first_opened_by = first_download_by
    WHERE first_download_at IS NOT NULL;

-- +goose Down
ALTER TABLE deposit_recipients DROP COLUMN first_opened_by;
ALTER TABLE deposit_recipients DROP COLUMN first_opened_at;
DROP TABLE settings;
