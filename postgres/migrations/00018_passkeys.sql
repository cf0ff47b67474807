-- Passkeys (WebAuthn credentials) people register as a second factor, or
-- as their only one where the operator allows it, and the challenges of
-- ceremonies in progress: kept on the server, taken once, short-lived;
-- and when a session last proved its person (step-up).
-- SQLite has its copy in sqlite/migrations/00018_passkeys.sql.

-- +goose Up
CREATE TABLE passkeys (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    credential_id BYTEA NOT NULL UNIQUE,
    name          TEXT COLLATE "C" NOT NULL DEFAULT '',
    record        BYTEA NOT NULL,
    sign_count    BIGINT NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE passkey_challenges (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    binding    BYTEA NOT NULL,
    data       BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX passkey_challenges_expiry ON passkey_challenges (expires_at);

-- When the person last proved who they are in a session: its sign-in,
-- or the last step-up before a sensitive action.
ALTER TABLE sessions ADD COLUMN verified_at BIGINT;

-- +goose Down
ALTER TABLE sessions DROP COLUMN verified_at;
DROP TABLE passkey_challenges;
DROP TABLE passkeys;
