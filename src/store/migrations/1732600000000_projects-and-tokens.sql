-- Up Migration

CREATE TABLE projects (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE environments (
  id uuid PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  slug text NOT NULL,
  name text NOT NULL,
  position integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, slug)
);

-- Projects existed only as ids before this migration: give each one a record, and each environment in use one.
INSERT INTO projects (id, name)
SELECT p.id, 'project-' || left(p.id::text, 8)
FROM (SELECT project_id AS id FROM folders UNION SELECT project_id FROM connections) p;
INSERT INTO environments (id, project_id, slug, name)
SELECT gen_random_uuid(), project_id, environment, environment FROM folders GROUP BY project_id, environment;

ALTER TABLE connections ADD FOREIGN KEY (project_id) REFERENCES projects (id);
ALTER TABLE folders ADD FOREIGN KEY (project_id) REFERENCES projects (id);
ALTER TABLE rotations ADD FOREIGN KEY (project_id) REFERENCES projects (id);

-- Bearer tokens: only a SHA-256 of the token is kept (tokens are 256-bit random, so a slow hash adds nothing).
-- project_id NULL = every project (admin). actions: read, create, edit, delete, rotate,
-- read-generated-credentials, read-secrets.
CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  project_id uuid REFERENCES projects (id) ON DELETE CASCADE,
  actions text[] NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- Down Migration
DROP TABLE api_tokens;
ALTER TABLE connections DROP CONSTRAINT connections_project_id_fkey;
ALTER TABLE folders DROP CONSTRAINT folders_project_id_fkey;
ALTER TABLE rotations DROP CONSTRAINT rotations_project_id_fkey;
DROP TABLE environments;
DROP TABLE projects;
