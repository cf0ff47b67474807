-- The admins who may decide about a recovery request of a lost second
-- factor are told that it waits (notice kind 'recovery_review').

-- +goose Up
INSERT INTO notice_kinds (kind) VALUES ('recovery_review');

-- +goose Down
DELETE FROM notices WHERE kind = 'recovery_review';
DELETE FROM notice_kinds WHERE kind = 'recovery_review';
