-- The two-person rule: admin actions that give someone access or weaken
-- the platform wait, as requests, for a second admin's approval. Params
-- is the canonical JSON of the action's parameters (ids and roles, never
-- content) and params_hash its SHA-256, checked again at execution.
-- SQLite has its copy in sqlite/migrations/00023_admin_requests.sql.

-- +goose Up
CREATE TABLE admin_requests (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    requester_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    action       TEXT COLLATE "C" NOT NULL,
    params       BYTEA NOT NULL,
    params_hash  BYTEA NOT NULL,
    reason       TEXT COLLATE "C" NOT NULL DEFAULT '',
    court_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    state        TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'executed', 'expired')),
    reviewer_id  TEXT COLLATE "C" NOT NULL DEFAULT '',
    reviewed_at  BIGINT,
    executed_at  BIGINT
);
CREATE INDEX admin_requests_state ON admin_requests (state, created_at, id);
INSERT INTO notice_kinds (kind) VALUES ('approval_request');

-- +goose Down
DELETE FROM notices WHERE kind = 'approval_request';
DELETE FROM notice_kinds WHERE kind = 'approval_request';
DROP TABLE admin_requests;
