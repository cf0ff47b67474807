-- The platform's security policy, which changes only through an admin
-- request a second admin approved (the two-person rule): whether files may
-- be offered unscanned although an antivirus is configured (one row), and
-- the minimum assurance of each role (a row per role that has one).
-- PostgreSQL has its copy in postgres/migrations/00027_policy.sql.

-- +goose Up
CREATE TABLE policy (
    id               INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    antivirus_bypass INTEGER NOT NULL DEFAULT 0 CHECK (antivirus_bypass IN (0, 1)),
    updated_at       INTEGER NOT NULL DEFAULT 0,
    updated_by       TEXT NOT NULL DEFAULT '',
    request_id       TEXT NOT NULL DEFAULT ''
);
INSERT INTO policy (id) VALUES (1);
CREATE TABLE policy_assurance (
    role  TEXT NOT NULL PRIMARY KEY,
    level TEXT NOT NULL CHECK (level IN ('low', 'substantial', 'high'))
) WITHOUT ROWID;

-- +goose Down
DROP TABLE policy_assurance;
DROP TABLE policy;
