-- A user's revocation now revokes their API tokens with it, so that
-- restoring the user does not bring old tokens back. Users revoked before
-- this lose theirs here, at the time of their revocation. Sign-in codes
-- stored before codes were keyed (plain SHA-256) can no longer match and
-- lived 10 minutes: they go. PostgreSQL has its copy in navette/postgres.

-- +goose Up
UPDATE tokens SET revoked_at = (
    SELECT COALESCE(u.revoked_at, u.updated_at, u.created_at, 0) FROM users u WHERE u.id = tokens.user_id)
WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE disabled = 1);
DELETE FROM sign_in_codes;

-- +goose Down
SELECT 1;
