-- Payment providers per association (Stripe keys, SEPA creditor), monthly
-- pledges, SEPA mandates and the collection runs sent to the bank; annual tax
-- receipts covering several gifts, and receipts that replace cancelled ones.
CREATE TABLE payment_settings (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    stripe_secret_key TEXT NOT NULL DEFAULT '',
    stripe_webhook_secret TEXT NOT NULL DEFAULT '',
    sepa_creditor_id TEXT NOT NULL DEFAULT '',
    sepa_iban TEXT NOT NULL DEFAULT '',
    sepa_bic TEXT NOT NULL DEFAULT '',
    receipt_mode TEXT NOT NULL DEFAULT 'per_gift' CHECK (receipt_mode IN ('per_gift', 'annual')),
    max_gift_cents BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE pledges (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    campaign_id BIGINT REFERENCES campaigns(id) ON DELETE SET NULL,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    reference TEXT NOT NULL UNIQUE,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    method TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'cancelled')),
    wants_receipt BOOLEAN NOT NULL DEFAULT FALSE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT 'FR',
    locale TEXT NOT NULL DEFAULT 'fr',
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    cancelled_at BIGINT,
    cancelled_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX pledges_org ON pledges(org_id, id);
CREATE INDEX pledges_supporter ON pledges(supporter_id);
CREATE UNIQUE INDEX pledges_provider_id ON pledges(provider, provider_id) WHERE provider_id IS NOT NULL;

CREATE TABLE mandates (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    pledge_id BIGINT REFERENCES pledges(id) ON DELETE SET NULL,
    reference TEXT NOT NULL,
    debtor_name TEXT NOT NULL,
    iban TEXT NOT NULL,
    bic TEXT NOT NULL DEFAULT '',
    wording TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    ip_hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    collected BIGINT NOT NULL DEFAULT 0,
    final_requested BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (org_id, reference)
);
CREATE INDEX mandates_pledge ON mandates(pledge_id);
CREATE INDEX mandates_supporter ON mandates(supporter_id);

CREATE TABLE sepa_runs (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL UNIQUE,
    collection_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('prepared', 'settled')),
    debits BIGINT NOT NULL DEFAULT 0,
    total_cents BIGINT NOT NULL DEFAULT 0,
    xml TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    settled_at BIGINT
);
CREATE INDEX sepa_runs_org ON sepa_runs(org_id, id);

ALTER TABLE gifts ADD COLUMN pledge_id BIGINT REFERENCES pledges(id) ON DELETE SET NULL;
ALTER TABLE gifts ADD COLUMN mandate_id BIGINT REFERENCES mandates(id) ON DELETE SET NULL;
ALTER TABLE gifts ADD COLUMN sepa_run_id BIGINT REFERENCES sepa_runs(id) ON DELETE SET NULL;
ALTER TABLE gifts ADD COLUMN sequence TEXT NOT NULL DEFAULT '';
ALTER TABLE gifts ADD COLUMN failure TEXT NOT NULL DEFAULT '';
ALTER TABLE gifts ADD COLUMN tip_cents BIGINT NOT NULL DEFAULT 0;
CREATE INDEX gifts_pledge ON gifts(pledge_id);
CREATE INDEX gifts_run ON gifts(sepa_run_id);
-- SEPA gifts signed online and waiting for the next collection run.
ALTER TABLE gifts ADD COLUMN provider_payment TEXT;
ALTER TABLE receipts ADD COLUMN supporter_id BIGINT REFERENCES supporters(id) ON DELETE SET NULL;
ALTER TABLE receipts ADD COLUMN kind TEXT NOT NULL DEFAULT 'gift';
UPDATE receipts SET supporter_id = (SELECT supporter_id FROM gifts WHERE gifts.id = receipts.gift_id);
CREATE INDEX receipts_org_year ON receipts(org_id, year, id);
CREATE INDEX receipts_supporter ON receipts(supporter_id);
-- The gifts an annual receipt covers.
CREATE TABLE receipt_gifts (
    receipt_id BIGINT NOT NULL REFERENCES receipts(id) ON DELETE CASCADE,
    gift_id BIGINT NOT NULL REFERENCES gifts(id) ON DELETE CASCADE,
    PRIMARY KEY (receipt_id, gift_id)
);
CREATE INDEX receipt_gifts_gift ON receipt_gifts(gift_id);
CREATE INDEX gifts_sepa_waiting ON gifts(org_id, id) WHERE provider = 'sepa' AND status = 'pending' AND sepa_run_id IS NULL;
