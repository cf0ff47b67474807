-- The platform's security policy, which changes only through an admin
-- request a second admin approved (the two-person rule): whether files may
-- be offered unscanned although an antivirus is configured (one row), and
-- the minimum assurance of each role (a row per role that has one).
-- SQLite has its copy in sqlite/migrations/00027_policy.sql.

-- +goose Up
CREATE TABLE policy (
    id               BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    antivirus_bypass BIGINT NOT NULL DEFAULT 0 CHECK (antivirus_bypass IN (0, 1)),
    updated_at       BIGINT NOT NULL DEFAULT 0,
    updated_by       TEXT COLLATE "C" NOT NULL DEFAULT '',
    request_id       TEXT COLLATE "C" NOT NULL DEFAULT ''
);
INSERT INTO policy (id) VALUES (1);
CREATE TABLE policy_assurance (
    role  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    level TEXT COLLATE "C" NOT NULL CHECK (level IN ('low', 'substantial', 'high'))
);

-- +goose Down
DROP TABLE policy_assurance;
DROP TABLE policy;
