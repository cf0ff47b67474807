-- Who may be shown a case, coarsely: every party of its deposits (sender,
-- recipients, person or mailbox, and the mailbox it was sent from), one row
-- per case and party. It lets CaseStore.CaseDeposits decide whether a
-- person may see anything of a case by index seeks keyed on both the case
-- and the person, which cost the same whether the case exists or not, before
-- reading any of its deposits (the exact rule of what they may see of it is
-- applied afterwards). PostgreSQL has its copy in
-- postgres/migrations/00031_case_parties.sql.

-- +goose Up
CREATE TABLE case_parties (
    case_id TEXT NOT NULL REFERENCES cases (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (case_id, user_id)
) WITHOUT ROWID;
INSERT INTO case_parties (case_id, user_id)
    SELECT c.case_id, d.sender_id FROM case_deposits c JOIN deposits d ON d.id = c.deposit_id
    UNION SELECT c.case_id, x.user_id FROM case_deposits c JOIN deposit_recipients x ON x.deposit_id = c.deposit_id
    UNION SELECT c.case_id, d.from_space_id FROM case_deposits c JOIN deposits d ON d.id = c.deposit_id
        WHERE d.from_space_id IS NOT NULL;

-- +goose Down
DROP TABLE case_parties;
