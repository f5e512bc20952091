-- Merging two records of one person: the one merged away is deleted, and this row
-- remembers where it went, so that links already sent to it (unsubscribe, /me,
-- tracked clicks) still reach the person. Chains are kept one hop long: merging the
-- kept person again moves these rows to the new survivor.
CREATE TABLE supporter_merges (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    from_id BIGINT NOT NULL UNIQUE,
    into_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    -- The address the merged-away record had (personal data: erasure clears it).
    from_email TEXT NOT NULL,
    by_user BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX supporter_merges_into ON supporter_merges(into_id);

-- Pairs staff said are two different people: the possible-duplicates list stops
-- showing them. Stored with a < b.
CREATE TABLE supporter_distinct (
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    a BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    b BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    by_user BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE INDEX supporter_distinct_b ON supporter_distinct(b);

-- "Same name and postcode": groups read from the index alone, whatever the case
-- people typed their names in.
CREATE INDEX supporters_name_postcode ON supporters(org_id, postcode, lower(last_name), lower(first_name))
    WHERE postcode <> '' AND last_name <> '';
