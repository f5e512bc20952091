-- What organisers tell signers: updates, responses, victories and milestones,
-- each fanned out to the outbox in chunks, and the clicks on their links.
CREATE TABLE petition_posts (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    petition_id BIGINT NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('update', 'response', 'victory', 'milestone')),
    body TEXT NOT NULL,
    image_path TEXT,
    document_path TEXT,
    document_name TEXT,
    responded_on TEXT,
    milestone BIGINT,
    next_milestone BIGINT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    -- Fan-out progress: recipients are enqueued by signature id, a chunk at a time.
    fanout_cursor BIGINT NOT NULL DEFAULT 0,
    fanout_total BIGINT NOT NULL DEFAULT 0,
    fanout_done_at BIGINT
);
CREATE INDEX petition_posts_petition ON petition_posts(petition_id, id);
CREATE INDEX petition_posts_fanout ON petition_posts(id) WHERE fanout_done_at IS NULL;

-- At most one milestone message a day: the last step announced and when.
ALTER TABLE petitions ADD COLUMN milestone_announced BIGINT NOT NULL DEFAULT 0;
ALTER TABLE petitions ADD COLUMN milestone_at BIGINT;

-- Messages sent for one thing (a post, later a newsletter) are counted by topic.
ALTER TABLE outbox ADD COLUMN topic TEXT;
CREATE INDEX outbox_topic ON outbox(topic, status) WHERE topic IS NOT NULL;
-- Workers claim messages people wait for (confirmations, sign-in links) before
-- bulk ones. Each claim is a range scan of a partial index holding only the rows
-- it may take, so sent messages and a million queued ones cost it nothing.
DROP INDEX outbox_due;
CREATE INDEX outbox_pending ON outbox(next_attempt_at, id) WHERE status = 'pending' AND topic IS NULL;
CREATE INDEX outbox_pending_bulk ON outbox(next_attempt_at, id) WHERE status = 'pending' AND topic IS NOT NULL;
CREATE INDEX outbox_leases ON outbox(lease_until) WHERE status = 'sending';
-- Only dead letters are listed per association: a smaller index every insert skips.
DROP INDEX outbox_org_status;
CREATE INDEX outbox_dead ON outbox(org_id, id) WHERE status = 'dead';

-- Top recruiters: the signatures each signer's link brought.
CREATE INDEX signatures_referred ON signatures(petition_id, referred_by) WHERE referred_by IS NOT NULL;

CREATE TABLE message_clicks (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    supporter_id BIGINT REFERENCES supporters(id) ON DELETE SET NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX message_clicks_topic ON message_clicks(topic, supporter_id);
