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

CREATE TABLE message_clicks (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    supporter_id BIGINT REFERENCES supporters(id) ON DELETE SET NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX message_clicks_topic ON message_clicks(topic, supporter_id);
