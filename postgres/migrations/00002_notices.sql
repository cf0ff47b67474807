-- E-mail notices for PostgreSQL: the copy of sqlite/migrations/00002_notices.sql
-- that behaves the same (BIGINT for INTEGER, BYTEA for BLOB, COLLATE "C").

-- +goose Up
ALTER TABLE users ADD COLUMN lang TEXT COLLATE "C" NOT NULL DEFAULT '' CHECK (lang IN ('', 'fr', 'en'));

ALTER TABLE deposits ADD COLUMN notify_sender BIGINT NOT NULL DEFAULT 1 CHECK (notify_sender IN (0, 1));
ALTER TABLE deposits ADD COLUMN reminded_at BIGINT;

-- The outbox. A notice is written in the transaction of the event that
-- causes it; key_data and payload (sealed) are cleared once it is sent.
-- Workers on every node claim due notices with FOR UPDATE SKIP LOCKED.
CREATE TABLE notices (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    kind            TEXT COLLATE "C" NOT NULL CHECK (kind IN ('deposit', 'reminder', 'receipt', 'expiry_report', 'sign_in_code', 'access_revoked')),
    user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    deposit_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
    state           TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    key_id          TEXT COLLATE "C" NOT NULL DEFAULT '',
    key_data        BYTEA,
    payload         BYTEA
);
CREATE INDEX notices_due ON notices (state, next_attempt_at, id);
CREATE INDEX notices_deposit ON notices (deposit_id, created_at, id);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_created ON notices (state, created_at, id);

-- +goose Down
DROP TABLE notices;
ALTER TABLE deposits DROP COLUMN reminded_at;
ALTER TABLE deposits DROP COLUMN notify_sender;
ALTER TABLE users DROP COLUMN lang;
