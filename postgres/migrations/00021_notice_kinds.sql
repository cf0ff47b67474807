-- The kinds of notice live in a table instead of a CHECK list, so that a
-- new kind is one INSERT in its own migration. SQLite has its copy in
-- sqlite/migrations/00021_notice_kinds.sql.

-- +goose Up
CREATE TABLE notice_kinds (
    kind TEXT COLLATE "C" NOT NULL PRIMARY KEY
);
INSERT INTO notice_kinds (kind) VALUES ('deposit'), ('reminder'), ('receipt'), ('expiry_report'), ('sign_in_code'), ('access_revoked'), ('content_alert'), ('extended'), ('withdrawn');
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_fkey FOREIGN KEY (kind) REFERENCES notice_kinds (kind);

-- +goose Down
ALTER TABLE notices DROP CONSTRAINT notices_kind_fkey;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked', 'content_alert', 'extended', 'withdrawn'));
DROP TABLE notice_kinds;
