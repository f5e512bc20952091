-- The feedback loop's staff tools and the contributor's story (issue 7).

-- Undoing an allocation. The decision stays, marked undone (when, by whom); its trace
-- moves to undone_allocations, so every sum over `allocations` (a project's total, what a
-- gift has left, who is told about a project's news) stays right without a filter.
ALTER TABLE allocation_batches ADD COLUMN undone_at BIGINT;
ALTER TABLE allocation_batches ADD COLUMN undone_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
CREATE TABLE undone_allocations (
    id BIGINT PRIMARY KEY, -- the allocation row's own id
    org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    batch_id BIGINT NOT NULL REFERENCES allocation_batches(id) ON DELETE CASCADE,
    gift_id BIGINT NOT NULL REFERENCES gifts(id) ON DELETE CASCADE,
    cents BIGINT NOT NULL CHECK (cents > 0),
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    undone_at BIGINT NOT NULL
);
CREATE INDEX undone_allocations_batch ON undone_allocations(batch_id);

-- A campaign's project may change after creation. A gift keeps the project it was given
-- to: when the campaign changes, its gifts made so far are fixed to the project they had
-- (fixed_project_id, NULL for none). A gift not fixed follows its campaign.
ALTER TABLE gifts ADD COLUMN project_fixed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE gifts ADD COLUMN fixed_project_id BIGINT REFERENCES projects(id) ON DELETE SET NULL;
CREATE INDEX gifts_fixed_project ON gifts(fixed_project_id) WHERE project_fixed;

-- /me: a person's news since their gifts and signatures, read by project and petition.
CREATE INDEX project_updates_project_created ON project_updates(project_id, created_at);
CREATE INDEX petition_posts_petition_created ON petition_posts(petition_id, created_at);
