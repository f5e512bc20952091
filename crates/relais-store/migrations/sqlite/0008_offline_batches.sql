-- Gifts received outside Relais and entered by staff together: a bank deposit of
-- cheques, the cash of a fair, a month of transfers. The batch is recorded whole or
-- not at all; its token (from the form that checked it) makes a second submission
-- of the same batch find the first instead of recording it twice.
CREATE TABLE offline_batches (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    campaign_id BIGINT REFERENCES campaigns(id) ON DELETE SET NULL,
    method TEXT NOT NULL CHECK (method IN ('cheque', 'cash', 'transfer')),
    -- The deposit slip's number, or whatever staff file it under.
    reference TEXT NOT NULL DEFAULT '',
    received_on TEXT NOT NULL,
    gifts_count BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX offline_batches_org ON offline_batches(org_id, id);

ALTER TABLE gifts ADD COLUMN offline_batch_id BIGINT REFERENCES offline_batches(id) ON DELETE SET NULL;
CREATE INDEX gifts_offline_batch ON gifts(offline_batch_id) WHERE offline_batch_id IS NOT NULL;
