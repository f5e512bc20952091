-- Segments: filters of the people list saved under a name, stored as the list's
-- query string so a segment, a bookmark and an export are the same thing.
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

-- "Active in the last N days": supporters.updated_at moves with each signature,
-- gift and subscription.
CREATE INDEX supporters_activity ON supporters(org_id, updated_at);
-- "Gave at least X in year Y": the association's paid gifts by donor.
CREATE INDEX gifts_paid_supporter ON gifts(org_id, supporter_id, paid_at) WHERE status = 'paid';
-- "Signed petition P": confirmed signers straight from the index.
CREATE INDEX signatures_petition_supporter ON signatures(petition_id, status, supporter_id);
-- "Agrees to the newsletter": the latest row per person of a purpose, from the index alone.
CREATE INDEX consents_purpose ON consents(org_id, channel, purpose, supporter_id, id, granted);
-- "06 12 34 56 78" in the people search.
CREATE INDEX supporters_phone ON supporters(org_id, phone) WHERE phone IS NOT NULL;
