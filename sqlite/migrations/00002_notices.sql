-- E-mail notices: the users' language, the deposits' notification switch
-- and reminder time, and the durable outbox of notices. PostgreSQL has its
-- copy in postgres/migrations/00002_notices.sql.

-- +goose Up
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT '' CHECK (lang IN ('', 'fr', 'en'));

ALTER TABLE deposits ADD COLUMN notify_sender INTEGER NOT NULL DEFAULT 1 CHECK (notify_sender IN (0, 1));
ALTER TABLE deposits ADD COLUMN reminded_at INTEGER;
-- DueReminders: available deposits by expiry (deposits_expiry serves).

-- The outbox. A notice is written in the transaction of the event that
-- causes it; key_data and payload (sealed) are cleared once it is sent.
CREATE TABLE notices (
    id              TEXT NOT NULL PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked')),
    user_id         TEXT NOT NULL REFERENCES users (id),
    deposit_id      TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    key_id          TEXT NOT NULL DEFAULT '',
    key_data        BLOB,
    payload         BLOB
);
-- ClaimNotices: pending ones by due time; Notices by state.
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);

-- +goose Down
DROP TABLE notices;
ALTER TABLE deposits DROP COLUMN reminded_at;
ALTER TABLE deposits DROP COLUMN notify_sender;
ALTER TABLE users DROP COLUMN lang;
