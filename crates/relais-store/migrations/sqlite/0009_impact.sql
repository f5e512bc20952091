-- Telling contributors what their gift achieved: their mobile number, the impact
-- messages sent to them (per project update, or per outcome of one gift reported
-- by the association's own system), and the API keys such systems use.
ALTER TABLE supporters ADD COLUMN phone TEXT;

-- One row per message: what the cohort measure counts as "told", and the figures
-- per update. UNIQUE (update_id, supporter_id) tells a contributor once per update
-- whatever the number of their gifts; NULLs (outcome messages) never collide.
CREATE TABLE impact_messages (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    update_id BIGINT REFERENCES project_updates(id) ON DELETE SET NULL,
    gift_id BIGINT REFERENCES gifts(id) ON DELETE SET NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    idempotency_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (update_id, supporter_id)
);
CREATE INDEX impact_messages_supporter ON impact_messages(supporter_id);
CREATE INDEX impact_messages_org ON impact_messages(org_id, created_at);

-- What an association's system reported about one gift ("used today at
-- Hôpital X"); channel NULL when the donor agreed to no message.
CREATE TABLE impact_outcomes (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    gift_id BIGINT NOT NULL REFERENCES gifts(id) ON DELETE CASCADE,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    message TEXT,
    used_on TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    channel TEXT CHECK (channel IN ('email', 'sms')),
    api_key_id BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, idempotency_key)
);
CREATE INDEX impact_outcomes_gift ON impact_outcomes(gift_id);

-- Keys of the association's own systems for the JSON API. Only the SHA-256 of the
-- secret is kept: a database leak yields no usable key.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_org ON api_keys(org_id, id);
