-- Messages staff write to a segment of their supporters (newsletters, appeals).
-- The segment is kept as the people list's query string, frozen with its name when
-- the message is saved, so what was sent to whom can be told later even after the
-- saved segment is deleted. Recipients are enqueued by supporter id, a chunk at a
-- time, from `scheduled_at` on.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    send_html BOOLEAN NOT NULL DEFAULT TRUE,
    purpose TEXT NOT NULL DEFAULT 'newsletter',
    segment_query TEXT NOT NULL DEFAULT '',
    segment_name TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')),
    scheduled_at BIGINT,
    fanout_cursor BIGINT NOT NULL DEFAULT 0,
    fanout_total BIGINT NOT NULL DEFAULT 0,
    fanout_done_at BIGINT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX messages_org ON messages(org_id, id);
-- What the worker looks for: messages whose time has come and whose fan-out is not over.
CREATE INDEX messages_due ON messages(scheduled_at, id) WHERE state IN ('scheduled', 'sending');
-- A message's figures count the withdrawals made from its links (their source names it).
CREATE INDEX consents_withdrawal_source ON consents(source, supporter_id) WHERE granted = FALSE;
