-- The fuller supporter record, cause interests, and imports from spreadsheets.
ALTER TABLE supporters ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE supporters ADD COLUMN commune TEXT NOT NULL DEFAULT '';
ALTER TABLE supporters ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE supporters ADD COLUMN longitude DOUBLE PRECISION;
-- Where the person first came from: petition, gift, newsletter, import:<id>.
ALTER TABLE supporters ADD COLUMN source TEXT NOT NULL DEFAULT '';
-- How they like to be reached, e.g. `email,sms`.
ALTER TABLE supporters ADD COLUMN preferred_channels TEXT NOT NULL DEFAULT '';

-- Causes a person cares about (tags of their own, apart from staff tags).
CREATE TABLE supporter_interests (
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (supporter_id, tag)
);
-- The people list's `interest=` filter.
CREATE INDEX supporter_interests_org_tag ON supporter_interests(org_id, tag, supporter_id);

-- One uploaded file and what became of it: validated over the whole file before
-- anything is written, then committed in chunks whose progress is kept here, so
-- an interrupted import says how far it got.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    -- Under the data folder.
    file_path TEXT NOT NULL,
    file_bytes BIGINT NOT NULL,
    encoding TEXT NOT NULL,
    separator TEXT NOT NULL,
    -- One field key (or empty: ignored) per column, comma-separated.
    mapping TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    merge_policy TEXT NOT NULL DEFAULT 'fill',
    -- The newsletter wording people agreed to; NULL: no consent recorded.
    consent_wording TEXT,
    state TEXT NOT NULL CHECK (state IN ('uploaded', 'validated', 'running', 'done', 'failed')),
    -- The validation's figures.
    total_rows BIGINT NOT NULL DEFAULT 0,
    to_create BIGINT NOT NULL DEFAULT 0,
    to_update BIGINT NOT NULL DEFAULT 0,
    to_keep BIGINT NOT NULL DEFAULT 0,
    refused_rows BIGINT NOT NULL DEFAULT 0,
    last_line BIGINT NOT NULL DEFAULT 0,
    -- What was committed, chunk by chunk.
    created_rows BIGINT NOT NULL DEFAULT 0,
    updated_rows BIGINT NOT NULL DEFAULT 0,
    unchanged_rows BIGINT NOT NULL DEFAULT 0,
    consents_added BIGINT NOT NULL DEFAULT 0,
    consents_withdrawn BIGINT NOT NULL DEFAULT 0,
    committed_line BIGINT NOT NULL DEFAULT 0,
    started_at BIGINT,
    heartbeat_at BIGINT,
    finished_at BIGINT,
    error TEXT
);
CREATE INDEX imports_org ON imports(org_id, id);

-- The refused rows of an import, each reason on its own row.
CREATE TABLE import_refusals (
    import_id BIGINT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX import_refusals_import ON import_refusals(import_id, line);
