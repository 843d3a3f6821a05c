-- Up Migration

-- A folder is (project, environment, secretPath); mapped secrets live in one.
CREATE TABLE folders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL,
  environment text NOT NULL,
  path text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, environment, path)
);

-- Admin credentials for one target database. password_enc is AES-256-GCM (see src/store/secret-box.ts).
CREATE TABLE connections (
  id uuid PRIMARY KEY,
  project_id uuid NOT NULL,
  name text NOT NULL,
  description text,
  host text NOT NULL,
  port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  database text NOT NULL,
  username text NOT NULL,
  password_enc bytea NOT NULL,
  ssl_enabled boolean NOT NULL DEFAULT false,
  ssl_reject_unauthorized boolean NOT NULL DEFAULT true,
  ssl_certificate text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, name)
);

-- config: the validated, non-secret rotation configuration. state: a snapshot of the workflow's state,
-- written by the workflow, so listings need no Temporal call per rotation.
CREATE TABLE rotations (
  id uuid PRIMARY KEY,
  project_id uuid NOT NULL,
  folder_id uuid NOT NULL REFERENCES folders (id),
  name text NOT NULL,
  connection_id uuid NOT NULL REFERENCES connections (id),
  config jsonb NOT NULL,
  state jsonb,
  lifecycle text NOT NULL DEFAULT 'issuing' CHECK (lifecycle IN ('issuing', 'active')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (folder_id, name)
);
CREATE INDEX rotations_project_idx ON rotations (project_id);

-- Generated passwords: 'staged' before they are applied to the role, 'current' once published for the slot.
CREATE TABLE credentials (
  rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
  slot smallint NOT NULL CHECK (slot IN (0, 1)),
  generation integer NOT NULL,
  status text NOT NULL CHECK (status IN ('staged', 'current')),
  password_enc bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rotation_id, slot, generation)
);
CREATE UNIQUE INDEX credentials_one_current_per_slot ON credentials (rotation_id, slot) WHERE status = 'current';

CREATE TABLE secrets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  folder_id uuid NOT NULL REFERENCES folders (id),
  key text NOT NULL,
  rotation_id uuid REFERENCES rotations (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (folder_id, key)
);

-- Every change of a secret is a new version; older versions are kept.
CREATE TABLE secret_versions (
  secret_id uuid NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  version integer NOT NULL,
  value_enc bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (secret_id, version)
);

CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  project_id uuid,
  rotation_id uuid,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_rotation_idx ON audit_events (rotation_id, at);

-- Down Migration
DROP TABLE audit_events;
DROP TABLE secret_versions;
DROP TABLE secrets;
DROP TABLE credentials;
DROP TABLE rotations;
DROP TABLE connections;
DROP TABLE folders;
