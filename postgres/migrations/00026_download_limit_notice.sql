-- The sender is told when a recipient reaches the deposit's cap on
-- complete downloads of a file (notice kind 'download_limit').

-- +goose Up
INSERT INTO notice_kinds (kind) VALUES ('download_limit');

-- +goose Down
DELETE FROM notices WHERE kind = 'download_limit';
DELETE FROM notice_kinds WHERE kind = 'download_limit';
