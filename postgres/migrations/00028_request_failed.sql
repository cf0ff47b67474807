-- An approved admin request whose action then fails is marked failed,
-- with the error's public message (failure), instead of staying approved
-- with nothing to retry it; its requester is told (notice kind
-- 'request_failed'). SQLite has its copy in
-- sqlite/migrations/00028_request_failed.sql.

-- +goose Up
ALTER TABLE admin_requests DROP CONSTRAINT admin_requests_state_check;
ALTER TABLE admin_requests ADD CONSTRAINT admin_requests_state_check
    CHECK (state IN ('pending', 'approved', 'rejected', 'executed', 'expired', 'failed'));
ALTER TABLE admin_requests ADD COLUMN failure TEXT COLLATE "C" NOT NULL DEFAULT '';
INSERT INTO notice_kinds (kind) VALUES ('request_failed');

-- +goose Down
DELETE FROM notices WHERE kind = 'request_failed';
DELETE FROM notice_kinds WHERE kind = 'request_failed';
UPDATE admin_requests SET state = 'approved' WHERE state = 'failed';
ALTER TABLE admin_requests DROP COLUMN failure;
ALTER TABLE admin_requests DROP CONSTRAINT admin_requests_state_check;
ALTER TABLE admin_requests ADD CONSTRAINT admin_requests_state_check
    CHECK (state IN ('pending', 'approved', 'rejected', 'executed', 'expired'));
