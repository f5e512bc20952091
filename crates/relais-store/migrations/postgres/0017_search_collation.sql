-- The people search finds a prefix as a range of an index (`email >= 'dur' AND
-- email < 'dur' || U+10FFFF`). In a linguistic collation (a French server's fr_FR,
-- en_US…) that range is not "starts with": accents and case are weighed later,
-- punctuation may be ignored, and the upper bound may sort anywhere, so people can
-- be missed or found wrongly. The search compares bytes (`COLLATE "C"`), as SQLite
-- does, on indexes built in that order.
CREATE INDEX supporters_email_c ON supporters(org_id, email COLLATE "C");
CREATE INDEX supporters_last_name_c ON supporters(org_id, last_name COLLATE "C");
CREATE INDEX supporters_first_name_c ON supporters(org_id, first_name COLLATE "C");
DROP INDEX supporters_last_name;
DROP INDEX supporters_first_name;
