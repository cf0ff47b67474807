-- An approved admin request whose action then fails is marked failed,
-- with the error's public message (failure), instead of staying approved
-- with nothing to retry it; its requester is told (notice kind
-- 'request_failed'). SQLite cannot alter a CHECK constraint: the table is
-- rebuilt. PostgreSQL has its copy in
-- postgres/migrations/00028_request_failed.sql.

-- +goose Up
CREATE TABLE admin_requests_v28 (
    id           TEXT NOT NULL PRIMARY KEY,
    requester_id TEXT NOT NULL REFERENCES users (id),
    action       TEXT NOT NULL,
    params       BLOB NOT NULL,
    params_hash  BLOB NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    court_id     TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'executed', 'expired', 'failed')),
    reviewer_id  TEXT NOT NULL DEFAULT '',
    reviewed_at  INTEGER,
    executed_at  INTEGER,
    failure      TEXT NOT NULL DEFAULT ''
);
INSERT INTO admin_requests_v28 (id, requester_id, action, params, params_hash, reason, court_id, created_at, expires_at, state, reviewer_id, reviewed_at, executed_at)
    SELECT id, requester_id, action, params, params_hash, reason, court_id, created_at, expires_at, state, reviewer_id, reviewed_at, executed_at FROM admin_requests;
DROP TABLE admin_requests;
ALTER TABLE admin_requests_v28 RENAME TO admin_requests;
CREATE INDEX admin_requests_state ON admin_requests (state, created_at, id);
INSERT INTO notice_kinds (kind) VALUES ('request_failed');

-- +goose Down
DELETE FROM notices WHERE kind = 'request_failed';
DELETE FROM notice_kinds WHERE kind = 'request_failed';
CREATE TABLE admin_requests_v23 (
    id           TEXT NOT NULL PRIMARY KEY,
    requester_id TEXT NOT NULL REFERENCES users (id),
    action       TEXT NOT NULL,
    params       BLOB NOT NULL,
    params_hash  BLOB NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    court_id     TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'executed', 'expired')),
    reviewer_id  TEXT NOT NULL DEFAULT '',
    reviewed_at  INTEGER,
    executed_at  INTEGER
);
INSERT INTO admin_requests_v23
    SELECT id, requester_id, action, params, params_hash, reason, court_id, created_at, expires_at,
        CASE state WHEN 'failed' THEN 'approved' ELSE state END, reviewer_id, reviewed_at, executed_at FROM admin_requests;
DROP TABLE admin_requests;
ALTER TABLE admin_requests_v23 RENAME TO admin_requests;
CREATE INDEX admin_requests_state ON admin_requests (state, created_at, id);
