-- The notices never sent (dead or pending) of a purged deposit of which no
-- evidence is kept any more lose their key and payload, as DeleteEvidence
-- now does when it ends a proof retention: they held the deposit's
-- reference, and file names and message where mails carried them, after
-- everything else of it was destroyed. Those deposits have neither proof
-- key nor evidence: their proof retention ended, or they were purged
-- before there was any. PostgreSQL has its copy in
-- postgres/migrations/00038_shred_ended_notices.sql.

-- +goose Up
UPDATE notices SET key_id = '', key_data = NULL, payload = NULL
    WHERE state <> 'sent' AND (key_data IS NOT NULL OR payload IS NOT NULL)
    AND deposit_id IN (SELECT d.id FROM deposits d WHERE d.purged_at IS NOT NULL AND d.proof_key_data IS NULL
        AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.deposit_id = d.id));

-- +goose Down
-- Nothing to undo: what was destroyed stays destroyed.
