-- Petitions, the supporters who sign them, their signatures and the consent ledger.
CREATE TABLE petitions (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    slug TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('draft', 'moderation', 'published', 'closed', 'victory', 'rejected')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    target_name TEXT NOT NULL DEFAULT '',
    target_role TEXT NOT NULL DEFAULT '',
    goal BIGINT,
    tags TEXT NOT NULL DEFAULT '',
    closes_on TEXT,
    image_path TEXT,
    place_postcode TEXT,
    place_name TEXT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    author_name TEXT,
    author_email TEXT,
    rejection_reason TEXT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    confirmed_count BIGINT NOT NULL DEFAULT 0,
    pending_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT,
    edited_at BIGINT
);
CREATE INDEX petitions_org_state ON petitions(org_id, state);

CREATE TABLE supporters (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT 'FR',
    locale TEXT NOT NULL DEFAULT 'fr',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, email)
);

CREATE TABLE signatures (
    id INTEGER PRIMARY KEY,
    petition_id BIGINT NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_domain TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    postcode TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT 'FR',
    commune TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    comment TEXT,
    show_name BOOLEAN NOT NULL DEFAULT FALSE,
    consent_updates BOOLEAN NOT NULL DEFAULT FALSE,
    consent_newsletter BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'invalidated')),
    invalidation_reason TEXT,
    ip_hash TEXT NOT NULL DEFAULT '',
    network_hash TEXT NOT NULL DEFAULT '',
    locale TEXT NOT NULL DEFAULT 'fr',
    -- Sharing: this signer's own code, and where the signature came from.
    ref_code TEXT NOT NULL DEFAULT '',
    source_channel TEXT NOT NULL DEFAULT '',
    referrer_site TEXT NOT NULL DEFAULT '',
    referred_by BIGINT,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    UNIQUE (petition_id, email)
);
CREATE INDEX signatures_ref_code ON signatures(petition_id, ref_code);
CREATE INDEX signatures_petition_status ON signatures(petition_id, status, id);
CREATE INDEX signatures_status_created ON signatures(status, created_at);
CREATE INDEX signatures_petition_created ON signatures(petition_id, created_at);

-- The consent ledger: what was agreed or withdrawn, the exact wording, where, when.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    -- The signature whose form carried the consent: an unconfirmed signature that
    -- expires takes its unverified consents with it.
    signature_id BIGINT REFERENCES signatures(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted BOOLEAN NOT NULL,
    wording TEXT NOT NULL,
    source TEXT NOT NULL,
    ip_hash TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX consents_supporter ON consents(supporter_id, channel, purpose, id);
