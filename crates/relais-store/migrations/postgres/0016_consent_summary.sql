-- The consent ledger's latest word, kept on the person for the people list's
-- filters: whether their latest newsletter word is a yes, and how many e-mail
-- purposes their latest word is a yes for. Sending still asks the ledger; these
-- columns only let a million people be counted from an index. Triggers keep them
-- true whatever writes the ledger (signing, gifts, links, imports, merges, erasure).
ALTER TABLE supporters ADD COLUMN email_newsletter BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE supporters ADD COLUMN email_consents BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION supporter_consent_summary(person BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- The person's row first: two transactions changing their ledger take turns,
    -- and the second then reads the first one's rows (a fresh snapshot per statement).
    PERFORM 1 FROM supporters WHERE id = person FOR UPDATE;
    UPDATE supporters SET
        email_newsletter = COALESCE((SELECT c.granted FROM consents c WHERE c.supporter_id = person
            AND c.channel = 'email' AND c.purpose = 'newsletter' ORDER BY c.id DESC LIMIT 1), FALSE),
        email_consents = (SELECT COUNT(*) FROM consents c WHERE c.supporter_id = person
            AND c.channel = 'email' AND c.granted AND c.id = (SELECT MAX(w.id) FROM consents w
            WHERE w.supporter_id = person AND w.channel = 'email' AND w.purpose = c.purpose))
    WHERE id = person;
END $$;

UPDATE supporters SET
    email_newsletter = COALESCE((SELECT c.granted FROM consents c WHERE c.supporter_id = supporters.id
        AND c.channel = 'email' AND c.purpose = 'newsletter' ORDER BY c.id DESC LIMIT 1), FALSE),
    email_consents = (SELECT COUNT(*) FROM consents c WHERE c.supporter_id = supporters.id AND c.channel = 'email'
        AND c.granted AND c.id = (SELECT MAX(w.id) FROM consents w WHERE w.supporter_id = c.supporter_id
        AND w.channel = 'email' AND w.purpose = c.purpose))
WHERE id IN (SELECT supporter_id FROM consents WHERE channel = 'email');

CREATE FUNCTION consents_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.channel = 'email' THEN
        PERFORM supporter_consent_summary(NEW.supporter_id);
    END IF;
    -- A merge moves rows from one person to another; erasure deletes them.
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.channel = 'email'
        AND (TG_OP = 'DELETE' OR OLD.supporter_id <> NEW.supporter_id) THEN
        PERFORM supporter_consent_summary(OLD.supporter_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER consents_summary AFTER INSERT OR DELETE OR UPDATE OF supporter_id, channel, purpose, granted
    ON consents FOR EACH ROW EXECUTE FUNCTION consents_summary();

-- "Reads the newsletter" and "agreed to no e-mail": counted from these alone, and
-- with "lives near" (postcodes) from the same index.
CREATE INDEX supporters_newsletter ON supporters(org_id, email_newsletter, postcode);
CREATE INDEX supporters_email_consents ON supporters(org_id, email_consents, postcode);
