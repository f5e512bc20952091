-- Finding people, and what staff did to their data.
CREATE INDEX supporters_last_name ON supporters(org_id, last_name);
CREATE INDEX supporters_first_name ON supporters(org_id, first_name);
CREATE INDEX supporters_postcode ON supporters(org_id, postcode);
CREATE INDEX signatures_supporter ON signatures(supporter_id);
CREATE INDEX message_clicks_supporter ON message_clicks(supporter_id);

-- Who did what to personal data (erasure, export): kept when the person is gone.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log(org_id, id);

-- Tags staff put on people, and their notes.
CREATE TABLE supporter_tags (
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (supporter_id, tag)
);
CREATE INDEX supporter_tags_org_tag ON supporter_tags(org_id, tag, supporter_id);

CREATE TABLE supporter_notes (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    supporter_id BIGINT NOT NULL REFERENCES supporters(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX supporter_notes_supporter ON supporter_notes(supporter_id, id);
