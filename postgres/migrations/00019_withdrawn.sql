-- A deposit's recipients may be told that its sender withdrew it (notice
-- kind 'withdrawn'). SQLite has its copy in
-- sqlite/migrations/00019_withdrawn.sql.

-- +goose Up
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked', 'content_alert', 'extended', 'withdrawn'));

-- +goose Down
DELETE FROM notices WHERE kind = 'withdrawn';
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked', 'content_alert', 'extended'));
