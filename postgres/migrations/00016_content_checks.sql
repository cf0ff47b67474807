-- Content checks (antivirus, refused types, scrubber): a file is checking
-- from its last byte until they decide; what they found (outcome and
-- detail: a signature's name, a type, where a blob is corrupt), how many
-- times the antivirus could not be reached, and when the background checker
-- takes it next; the content alert to platform admins. SQLite has its copy
-- in sqlite/migrations/00016_content_checks.sql. Files stored before this
-- migration were never scanned: they are marked unscanned.

-- +goose Up
ALTER TABLE files DROP CONSTRAINT files_state_check;
ALTER TABLE files ADD CONSTRAINT files_state_check CHECK (state IN ('uploading', 'checking', 'stored', 'available', 'rejected', 'purged'));
ALTER TABLE files ADD COLUMN check_outcome TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN check_detail TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN check_attempts BIGINT NOT NULL DEFAULT 0 CHECK (check_attempts >= 0);
ALTER TABLE files ADD COLUMN check_after BIGINT;
UPDATE files SET check_outcome = 'unscanned' WHERE state IN ('stored', 'available');
DROP INDEX files_blobs_to_delete;
-- BlobsToDelete: purged files, and rejected ones whose key is destroyed,
-- whose blob remains: a short list.
CREATE INDEX files_blobs_to_delete ON files (id) WHERE blob_deleted = 0 AND (state = 'purged' OR (state = 'rejected' AND key_id = ''));
-- FilesToCheck: files waiting for a verdict, by when they are due.
CREATE INDEX files_to_check ON files (check_after, id) WHERE state = 'checking';

ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked', 'content_alert'));

-- +goose Down
DELETE FROM notices WHERE kind = 'content_alert';
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked'));
DROP INDEX files_to_check;
DROP INDEX files_blobs_to_delete;
CREATE INDEX files_blobs_to_delete ON files (id) WHERE state = 'purged' AND blob_deleted = 0;
UPDATE files SET state = 'stored' WHERE state = 'checking';
ALTER TABLE files DROP COLUMN check_after;
ALTER TABLE files DROP COLUMN check_attempts;
ALTER TABLE files DROP COLUMN check_detail;
ALTER TABLE files DROP COLUMN check_outcome;
ALTER TABLE files DROP CONSTRAINT files_state_check;
ALTER TABLE files ADD CONSTRAINT files_state_check CHECK (state IN ('uploading', 'stored', 'available', 'rejected', 'purged'));
