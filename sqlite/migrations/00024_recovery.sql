-- Recovering a lost second factor: one-time recovery codes, stored as
-- keyed digests, and requests reviewed by an admin on the users page; the sign-in method of the
-- actor of each event. the notices that tell
-- the person each step. PostgreSQL has its copy in
-- postgres/migrations/00024_recovery.sql.

-- +goose Up
CREATE TABLE recovery_codes (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    hash       BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id, created_at, id);

CREATE TABLE recovery_requests (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    state      TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'completed')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_by TEXT NOT NULL DEFAULT '',
    decided_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX recovery_requests_user ON recovery_requests (user_id, created_at);
CREATE INDEX recovery_requests_state ON recovery_requests (state, created_at);

-- How the actor of each event they caused had signed in (navette.Event.Auth).
ALTER TABLE events ADD COLUMN auth TEXT NOT NULL DEFAULT '';

-- The users page shows a person's recent events.
CREATE INDEX events_actor ON events (actor_id, seq);

INSERT INTO notice_kinds (kind) VALUES ('recovery_requested'), ('recovery_approved'), ('recovery_rejected'), ('recovery_completed'), ('recovery_code_used');

-- +goose Down
DELETE FROM notices WHERE kind IN ('recovery_requested', 'recovery_approved', 'recovery_rejected', 'recovery_completed', 'recovery_code_used');
DELETE FROM notice_kinds WHERE kind IN ('recovery_requested', 'recovery_approved', 'recovery_rejected', 'recovery_completed', 'recovery_code_used');
DROP INDEX events_actor;
ALTER TABLE events DROP COLUMN auth;
DROP TABLE recovery_requests;
DROP TABLE recovery_codes;
