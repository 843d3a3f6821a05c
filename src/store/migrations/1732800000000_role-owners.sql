-- Up Migration

-- The PostgreSQL cluster a connection reaches (src/target/cluster-identity.ts), set whenever its credentials are
-- checked. NULL only for connections made before this migration: set when a rotation is next created on one.
ALTER TABLE connections ADD COLUMN cluster_id text;

-- Roles are cluster-wide: a role belongs to at most one rotation per cluster, whatever connection, database or
-- host name reaches it. The primary key is the rule (two racing creates cannot both win); deleting a rotation
-- releases its roles. role_name is the identifier exactly as PostgreSQL stores it (case-sensitive).
CREATE TABLE role_owners (
  cluster_id text NOT NULL,
  role_name text COLLATE "C" NOT NULL,
  rotation_id uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
  PRIMARY KEY (cluster_id, role_name)
);
CREATE INDEX role_owners_rotation_idx ON role_owners (rotation_id);

-- Down Migration
DROP TABLE role_owners;
ALTER TABLE connections DROP COLUMN cluster_id;
