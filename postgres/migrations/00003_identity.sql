-- Identity for PostgreSQL: the copy of sqlite/migrations/00003_identity.sql
-- that behaves the same (BIGINT for INTEGER, BYTEA for BLOB, COLLATE "C"),
-- and whose comments say more. PostgreSQL alters the role constraint in
-- place. The search terms (users.terms, user_terms) are filled by the Go
-- migration 4, as they are words folded by navette.SearchWords; terms are
-- COLLATE "C" so that the btree serves the prefix ranges of recipient
-- search.

-- +goose Up
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('agent', 'court_admin', 'partner', 'admin', 'auditor', 'service'));
ALTER TABLE users
    ADD COLUMN source           TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN external_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN kind             TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN org              TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN court_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN directory_status TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN revoked_at       BIGINT,
    ADD COLUMN totp_key_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN totp_key_data    BYTEA,
    ADD COLUMN totp_step        BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN updated_at       BIGINT,
    ADD COLUMN terms            TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE UNIQUE INDEX users_external ON users (source, external_id) WHERE external_id <> '';
CREATE INDEX users_name ON users (name, id, role, disabled, court_id, source);
CREATE INDEX users_court ON users (court_id, name, id, role, disabled, source);

CREATE TABLE courts (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    code       TEXT COLLATE "C" NOT NULL UNIQUE,
    name       TEXT COLLATE "C" NOT NULL DEFAULT '',
    source     TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE members (
    service_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    source     TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (service_id, user_id)
);
CREATE INDEX members_user ON members (user_id, service_id);

CREATE TABLE sessions (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    hash       BYTEA NOT NULL UNIQUE,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    stage      TEXT COLLATE "C" NOT NULL CHECK (stage IN ('second_factor', 'enrol', 'full')),
    method     TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    seen_at    BIGINT,
    expires_at BIGINT NOT NULL,
    pending    BYTEA
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_seen ON sessions (seen_at);

CREATE TABLE sign_in_codes (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    hash       BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    used_at    BIGINT
);
CREATE INDEX sign_in_codes_user ON sign_in_codes (user_id, created_at, id);
CREATE INDEX sign_in_codes_expiry ON sign_in_codes (expires_at);

CREATE TABLE user_terms (
    term    TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (term, user_id)
);

ALTER TABLE tokens ADD COLUMN scopes TEXT COLLATE "C" NOT NULL DEFAULT 'read write' CHECK (scopes <> '');
ALTER TABLE tokens ADD COLUMN last_used_at BIGINT;
UPDATE tokens SET scopes = 'read write admin' WHERE user_id IN (SELECT id FROM users WHERE role = 'admin');
CREATE INDEX tokens_user_created ON tokens (user_id, created_at, id);
DROP INDEX tokens_user;

ALTER TABLE deposit_recipients ADD COLUMN first_download_by TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE deposit_recipients SET first_download_by = user_id WHERE first_download_at IS NOT NULL;

-- +goose Down
ALTER TABLE deposit_recipients DROP COLUMN first_download_by;
CREATE INDEX tokens_user ON tokens (user_id);
DROP INDEX tokens_user_created;
ALTER TABLE tokens DROP COLUMN last_used_at;
ALTER TABLE tokens DROP COLUMN scopes;
DROP TABLE user_terms;
DROP TABLE sign_in_codes;
DROP TABLE sessions;
DROP TABLE members;
DROP TABLE courts;
DROP INDEX users_court;
DROP INDEX users_name;
DROP INDEX users_external;
ALTER TABLE users
    DROP COLUMN source,
    DROP COLUMN external_id,
    DROP COLUMN kind,
    DROP COLUMN org,
    DROP COLUMN court_id,
    DROP COLUMN directory_status,
    DROP COLUMN revoked_at,
    DROP COLUMN totp_key_id,
    DROP COLUMN totp_key_data,
    DROP COLUMN totp_step,
    DROP COLUMN updated_at,
    DROP COLUMN terms;
UPDATE users SET role = 'agent' WHERE role NOT IN ('agent', 'partner', 'admin');
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('agent', 'partner', 'admin'));
