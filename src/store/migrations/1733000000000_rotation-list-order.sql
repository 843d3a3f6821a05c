-- Up Migration

-- A project's rotations in list order (created_at, name, id) straight from the index: a list of thousands no
-- longer sorts its wide rows (config and state) on disk, and a page (LIMIT/OFFSET) reads only what it skips and
-- returns. It leads with project_id, so it also serves every lookup the index it replaces served.
CREATE INDEX rotations_project_order_idx ON rotations (project_id, created_at, name, id);
DROP INDEX rotations_project_idx;

-- Down Migration

CREATE INDEX rotations_project_idx ON rotations (project_id);
DROP INDEX rotations_project_order_idx;
