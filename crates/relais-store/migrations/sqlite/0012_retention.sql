-- How long an association keeps people who do nothing and agree to nothing: after
-- this many months without activity (supporters.updated_at) and without any consent
-- given and not withdrawn, the housekeeping erases them. NULL: keep them.
ALTER TABLE orgs ADD COLUMN retention_months BIGINT CHECK (retention_months IS NULL OR retention_months > 0);
