-- Impact projects: what gifts pay for, where, for how much and how far along;
-- their photos and news; the public ledger of what was spent; and the allocations of
-- unrestricted gifts, traced gift by gift and cent by cent. A campaign
-- restricted to a project (campaigns.project_id) gives it every gift it receives.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    slug TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('draft', 'published')),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    place_label TEXT NOT NULL DEFAULT '',
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    budget_cents BIGINT NOT NULL CHECK (budget_cents >= 0),
    stage TEXT NOT NULL DEFAULT 'funded' CHECK (stage IN ('funded', 'under_way', 'completed')),
    -- JSON list of {"label", "value", "unit"}: a handful, always read and written whole.
    figures TEXT NOT NULL DEFAULT '[]',
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX projects_org ON projects(org_id, id);

CREATE TABLE project_photos (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    file_base TEXT NOT NULL,
    alt TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX project_photos_project ON project_photos(project_id, id);

CREATE TABLE project_expenses (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    spent_on TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('materials', 'labour', 'equipment', 'transport', 'studies', 'training', 'other')),
    label TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX project_expenses_project ON project_expenses(project_id, spent_on);

-- News of a project: what was done, with a photo, and the stage or figures it
-- announced (applied to the project in the same transaction).
CREATE TABLE project_updates (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    photo_base TEXT,
    photo_alt TEXT NOT NULL DEFAULT '',
    stage TEXT CHECK (stage IN ('funded', 'under_way', 'completed')),
    figures TEXT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX project_updates_project ON project_updates(project_id, id);

-- One staff decision ("12 000 € of the spring gifts"), with the criteria it used.
CREATE TABLE allocation_batches (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    gifts_from BIGINT NOT NULL,
    gifts_until BIGINT NOT NULL,
    campaign_id BIGINT REFERENCES campaigns(id) ON DELETE SET NULL,
    gifts_count BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX allocation_batches_project ON allocation_batches(project_id, id);

-- The trace: which gift, how much of it. A gift's rows never add up to more than
-- its amount (checked in the allocating transaction, which holds the lock).
CREATE TABLE allocations (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    batch_id BIGINT NOT NULL REFERENCES allocation_batches(id) ON DELETE CASCADE,
    gift_id BIGINT NOT NULL REFERENCES gifts(id) ON DELETE CASCADE,
    cents BIGINT NOT NULL CHECK (cents > 0),
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (batch_id, gift_id)
);
CREATE INDEX allocations_gift ON allocations(gift_id);
CREATE INDEX allocations_project ON allocations(project_id);

ALTER TABLE campaigns ADD COLUMN project_id BIGINT REFERENCES projects(id) ON DELETE SET NULL;
CREATE INDEX campaigns_project ON campaigns(project_id) WHERE project_id IS NOT NULL;
-- The gifts an allocation draws on: an association's paid gifts over a period.
CREATE INDEX gifts_paid ON gifts(org_id, paid_at) WHERE status = 'paid';
