-- Identity: users from directories (source, external id, profession,
-- organisation, court, status, revocation), second factor, the new roles;
-- courts, service mailbox memberships, browser sessions, e-mailed sign-in
-- codes, token scopes and last use, who first downloaded for a service, and
-- the term index of recipient search. PostgreSQL has its copy in
-- postgres/migrations/00003_identity.sql.
--
-- SQLite cannot alter a CHECK constraint, so users is rebuilt (now WITHOUT
-- ROWID, for recipient search). goose runs this file in a transaction,
-- where PRAGMA foreign_keys cannot change: the foreign keys that point at
-- users are deferred to the commit instead. The DROP deletes every user
-- (counting each row of tokens, deposits… left without its user), and
-- inserting them back into the new table finds those rows their user again
-- (uncounting them), so the commit sees no violation. Renaming a new table
-- in place of the old one would not do: with foreign keys on, the rename
-- rewrites the other tables' references.
--
-- The term index (user_terms) is filled by the Go migration 4, as its
-- terms are words folded by navette.SearchWords.

-- +goose Up
PRAGMA defer_foreign_keys = ON;

CREATE TABLE users_v2 AS SELECT * FROM users;
DROP TABLE users;

CREATE TABLE users (
    id               TEXT NOT NULL PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL DEFAULT '',
    role             TEXT NOT NULL CHECK (role IN ('agent', 'court_admin', 'partner', 'admin', 'auditor', 'service')),
    disabled         INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    lang             TEXT NOT NULL DEFAULT '' CHECK (lang IN ('', 'fr', 'en')),
    source           TEXT NOT NULL DEFAULT '',
    external_id      TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL DEFAULT '',
    org              TEXT NOT NULL DEFAULT '',
    court_id         TEXT NOT NULL DEFAULT '',
    directory_status TEXT NOT NULL DEFAULT '',
    revoked_at       INTEGER,
    totp_key_id      TEXT NOT NULL DEFAULT '',
    totp_key_data    BLOB,
    totp_step        INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER,
    terms            TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
INSERT INTO users (id, email, name, role, disabled, lang, created_at)
    SELECT id, email, name, role, disabled, lang, created_at FROM users_v2;
DROP TABLE users_v2;

-- A directory's id of a person is unique within the directory.
CREATE UNIQUE INDEX users_external ON users (source, external_id) WHERE external_id <> '';
-- SearchUsers reads users in name order, or in a court in name order, on
-- these, which hold every column of its filters. Users are kept in id
-- order (WITHOUT ROWID), so the users of a range of terms are each found in
-- one lookup.
CREATE INDEX users_name ON users (name, id, role, disabled, court_id, source);
CREATE INDEX users_court ON users (court_id, name, id, role, disabled, source);

CREATE TABLE courts (
    id         TEXT NOT NULL PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

-- Agents' memberships of service mailboxes (users with role service).
CREATE TABLE members (
    service_id TEXT NOT NULL REFERENCES users (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    source     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (service_id, user_id)
);
-- Memberships, DepositFor and the inbox: the services of a user.
CREATE INDEX members_user ON members (user_id, service_id);

CREATE TABLE sessions (
    id         TEXT NOT NULL PRIMARY KEY,
    hash       BLOB NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users (id),
    stage      TEXT NOT NULL CHECK (stage IN ('second_factor', 'enrol', 'full')),
    method     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    seen_at    INTEGER,
    expires_at INTEGER NOT NULL,
    pending    BLOB
);
CREATE INDEX sessions_user ON sessions (user_id);
-- DeleteStaleSessions.
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_seen ON sessions (seen_at);

CREATE TABLE sign_in_codes (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    hash       BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    used_at    INTEGER
);
CREATE INDEX sign_in_codes_user ON sign_in_codes (user_id, created_at, id);
CREATE INDEX sign_in_codes_expiry ON sign_in_codes (expires_at);

-- Recipient search: each word of a user's name, e-mail address,
-- organisation, external id and court, folded by navette.SearchWords. A
-- query word is looked up as a prefix: term >= w AND term < w || U+10FFFF.
-- users.terms holds the same words, as ' w1 w2 … ', so that the other words
-- of a query are checked on the user's row (terms LIKE '% w%') and a
-- user's terms are found without an index by user. Only the store writes
-- these rows, from users.terms, and users are never deleted: user_id has no
-- foreign key, whose check would cost a lookup per term on a directory
-- import.
CREATE TABLE user_terms (
    term    TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (term, user_id)
) WITHOUT ROWID;

-- Scopes are space-separated, never empty. Tokens made before scopes could
-- read and write, and administer for admins.
ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write' CHECK (scopes <> '');
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;
UPDATE tokens SET scopes = 'read write admin' WHERE user_id IN (SELECT id FROM users WHERE role = 'admin');
-- Tokens, newest first.
CREATE INDEX tokens_user_created ON tokens (user_id, created_at, id);
DROP INDEX tokens_user;

-- Until services, only the recipient could download.
ALTER TABLE deposit_recipients ADD COLUMN first_download_by TEXT NOT NULL DEFAULT '';
UPDATE deposit_recipients SET first_download_by = user_id WHERE first_download_at IS NOT NULL;

-- +goose Down
PRAGMA defer_foreign_keys = ON;
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

CREATE TABLE users_v3 AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (
    id         TEXT NOT NULL PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL CHECK (role IN ('agent', 'partner', 'admin')),
    disabled   INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at INTEGER NOT NULL,
    lang       TEXT NOT NULL DEFAULT '' CHECK (lang IN ('', 'fr', 'en'))
);
INSERT INTO users (id, email, name, role, disabled, created_at, lang)
    SELECT id, email, name, CASE WHEN role IN ('agent', 'partner', 'admin') THEN role ELSE 'agent' END,
        disabled, created_at, lang FROM users_v3;
DROP TABLE users_v3;
