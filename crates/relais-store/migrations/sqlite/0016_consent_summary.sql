-- The consent ledger's latest word, kept on the person for the people list's
-- filters: whether their latest newsletter word is a yes, and how many e-mail
-- purposes their latest word is a yes for. Sending still asks the ledger; these
-- columns only let a million people be counted from an index. Triggers keep them
-- true whatever writes the ledger (signing, gifts, links, imports, merges, erasure).
ALTER TABLE supporters ADD COLUMN email_newsletter BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE supporters ADD COLUMN email_consents BIGINT NOT NULL DEFAULT 0;

UPDATE supporters SET
    email_newsletter = COALESCE((SELECT c.granted FROM consents c WHERE c.supporter_id = supporters.id
        AND c.channel = 'email' AND c.purpose = 'newsletter' ORDER BY c.id DESC LIMIT 1), FALSE),
    email_consents = (SELECT COUNT(*) FROM consents c WHERE c.supporter_id = supporters.id AND c.channel = 'email'
        AND c.granted AND c.id = (SELECT MAX(w.id) FROM consents w WHERE w.supporter_id = c.supporter_id
        AND w.channel = 'email' AND w.purpose = c.purpose))
WHERE id IN (SELECT supporter_id FROM consents WHERE channel = 'email');

CREATE TRIGGER consents_summary_insert AFTER INSERT ON consents WHEN NEW.channel = 'email' BEGIN
    UPDATE supporters SET
        email_newsletter = COALESCE((SELECT c.granted FROM consents c WHERE c.supporter_id = NEW.supporter_id
            AND c.channel = 'email' AND c.purpose = 'newsletter' ORDER BY c.id DESC LIMIT 1), FALSE),
        email_consents = (SELECT COUNT(*) FROM consents c WHERE c.supporter_id = NEW.supporter_id
            AND c.channel = 'email' AND c.granted AND c.id = (SELECT MAX(w.id) FROM consents w
            WHERE w.supporter_id = NEW.supporter_id AND w.channel = 'email' AND w.purpose = c.purpose))
    WHERE id = NEW.supporter_id;
END;

-- A merge moves rows from one person to another; erasure deletes them.
CREATE TRIGGER consents_summary_update AFTER UPDATE OF supporter_id, channel, purpose, granted ON consents BEGIN
    UPDATE supporters SET
        email_newsletter = COALESCE((SELECT c.granted FROM consents c WHERE c.supporter_id = supporters.id
            AND c.channel = 'email' AND c.purpose = 'newsletter' ORDER BY c.id DESC LIMIT 1), FALSE),
        email_consents = (SELECT COUNT(*) FROM consents c WHERE c.supporter_id = supporters.id
            AND c.channel = 'email' AND c.granted AND c.id = (SELECT MAX(w.id) FROM consents w
            WHERE w.supporter_id = supporters.id AND w.channel = 'email' AND w.purpose = c.purpose))
    WHERE id IN (OLD.supporter_id, NEW.supporter_id);
END;

CREATE TRIGGER consents_summary_delete AFTER DELETE ON consents WHEN OLD.channel = 'email' BEGIN
    UPDATE supporters SET
        email_newsletter = COALESCE((SELECT c.granted FROM consents c WHERE c.supporter_id = OLD.supporter_id
            AND c.channel = 'email' AND c.purpose = 'newsletter' ORDER BY c.id DESC LIMIT 1), FALSE),
        email_consents = (SELECT COUNT(*) FROM consents c WHERE c.supporter_id = OLD.supporter_id
            AND c.channel = 'email' AND c.granted AND c.id = (SELECT MAX(w.id) FROM consents w
            WHERE w.supporter_id = OLD.supporter_id AND w.channel = 'email' AND w.purpose = c.purpose))
    WHERE id = OLD.supporter_id;
END;

-- "Reads the newsletter" and "agreed to no e-mail": counted from these alone, and
-- with "lives near" (postcodes) from the same index.
CREATE INDEX supporters_newsletter ON supporters(org_id, email_newsletter, postcode);
CREATE INDEX supporters_email_consents ON supporters(org_id, email_consents, postcode);
