-- A staff member's identity provider subject (sub), bound at their first
-- sign-in through it: later sign-ins must present the same one, and one
-- provider account stands for one user at most. SQLite has its copy in navette/sqlite.

-- +goose Up
ALTER TABLE users ADD COLUMN oidc_subject TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_oidc_subject ON users (oidc_subject) WHERE oidc_subject <> '';

-- +goose Down
DROP INDEX users_oidc_subject;
ALTER TABLE users DROP COLUMN oidc_subject;
