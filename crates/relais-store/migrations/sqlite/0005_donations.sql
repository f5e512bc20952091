-- Donation campaigns, the gifts made on them, and tax receipts numbered without
-- gaps per association and year.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    slug TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'closed')),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    goal_cents BIGINT,
    amounts TEXT NOT NULL DEFAULT '',
    frequencies TEXT NOT NULL,
    thanks TEXT NOT NULL DEFAULT '',
    raised_cents BIGINT NOT NULL DEFAULT 0,
    gifts_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX campaigns_org ON campaigns(org_id, id);

CREATE TABLE gifts (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    campaign_id BIGINT REFERENCES campaigns(id) ON DELETE SET NULL,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    frequency TEXT NOT NULL CHECK (frequency IN ('once', 'monthly')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed', 'refunded')),
    method TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_ref TEXT NOT NULL UNIQUE,
    wants_receipt BOOLEAN NOT NULL DEFAULT FALSE,
    consent_newsletter BOOLEAN NOT NULL DEFAULT FALSE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT 'FR',
    locale TEXT NOT NULL DEFAULT 'fr',
    created_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE INDEX gifts_org ON gifts(org_id, id);
CREATE INDEX gifts_campaign ON gifts(campaign_id, status);
CREATE INDEX gifts_supporter ON gifts(supporter_id);

CREATE TABLE receipt_counters (
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    year BIGINT NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (org_id, year)
);

CREATE TABLE receipts (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    year BIGINT NOT NULL,
    number TEXT NOT NULL,
    gift_id BIGINT REFERENCES gifts(id) ON DELETE SET NULL,
    amount_cents BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    replaces_id BIGINT REFERENCES receipts(id),
    UNIQUE (org_id, number)
);
CREATE INDEX receipts_gift ON receipts(gift_id);
