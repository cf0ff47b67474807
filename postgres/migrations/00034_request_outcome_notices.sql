-- The outcome of an admin request of the two-person rule is told: its
-- requester learns that it was approved (and ran, or waits for them to
-- use it) or refused, by whom; the person an executed request acts on
-- learns what changed about them (notice kinds 'request_approved',
-- 'request_rejected', 'member_added', 'role_granted', 'access_restored').

-- +goose Up
INSERT INTO notice_kinds (kind) VALUES ('request_approved'), ('request_rejected'), ('member_added'), ('role_granted'), ('access_restored');

-- +goose Down
DELETE FROM notices WHERE kind IN ('request_approved', 'request_rejected', 'member_added', 'role_granted', 'access_restored');
DELETE FROM notice_kinds WHERE kind IN ('request_approved', 'request_rejected', 'member_added', 'role_granted', 'access_restored');
