-- The inbox is read newest first through an index of each addressee's
-- deposits by creation time, so that a quiet user's first page does not
-- walk everybody's deposits: each recipient row keeps its deposit's
-- creation time (which never changes). PostgreSQL has its copy in navette/postgres.

-- +goose Up
ALTER TABLE deposit_recipients ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
UPDATE deposit_recipients SET created_at = (SELECT d.created_at FROM deposits d WHERE d.id = deposit_recipients.deposit_id);
CREATE INDEX deposit_recipients_user_created ON deposit_recipients (user_id, created_at, deposit_id);
DROP INDEX deposit_recipients_user;

-- +goose Down
CREATE INDEX deposit_recipients_user ON deposit_recipients (user_id, deposit_id);
DROP INDEX deposit_recipients_user_created;
ALTER TABLE deposit_recipients DROP COLUMN created_at;
