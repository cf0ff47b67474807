-- A complete download of a file whose deposit caps downloads claims its
-- place under the cap, under the deposit's lock, just before its last
-- bytes go out; the claim ends when the download is recorded (in the same
-- transaction as its event) or released when the last bytes did not go
-- out. A claim left by a crash expires, so it never blocks for long.

-- +goose Up
CREATE TABLE download_claims (
    id         TEXT PRIMARY KEY,
    deposit_id TEXT NOT NULL REFERENCES deposits (id),
    file_id    TEXT NOT NULL REFERENCES files (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL
);
CREATE INDEX download_claims_deposit ON download_claims (deposit_id, file_id, user_id);

-- +goose Down
DROP TABLE download_claims;
