-- A pending admin request of the two-person rule that nobody reviewed in
-- time is expired by the node's sweep, and its requester told (notice
-- kind 'request_expired').

-- +goose Up
INSERT INTO notice_kinds (kind) VALUES ('request_expired');

-- +goose Down
DELETE FROM notices WHERE kind = 'request_expired';
DELETE FROM notice_kinds WHERE kind = 'request_expired';
