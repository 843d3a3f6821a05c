#!/bin/sh
# Runs once, on the first start of the postgresql service (empty data volume), as the superuser,
# over the local socket (the entrypoint exports PGPASSWORD for it).
#
# - password_encryption = scram-sha-256 (also the server's command line; kept here so it survives
#   if someone drops that flag), so every password below is stored as a SCRAM verifier;
# - role `temporal` (CREATEDB: temporal-sql-tool creates `temporal` and `temporal_visibility` itself);
# - role `rotator` owning the `rotator` control database (DATABASE_URL of the worker and the API).
#
# Passwords come from the environment and are passed as psql variables (:'name' quotes them as
# SQL literals), never pasted into the SQL text.
set -e

: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is required}"
: "${ROTATOR_DB_PASSWORD:?ROTATOR_DB_PASSWORD is required}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
  --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" \
  -v rotator_password="$ROTATOR_DB_PASSWORD" <<'SQL'
ALTER SYSTEM SET password_encryption = 'scram-sha-256';
SELECT pg_reload_conf();
SET password_encryption = 'scram-sha-256';

CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE rotator LOGIN PASSWORD :'rotator_password';

CREATE DATABASE rotator OWNER rotator;
REVOKE ALL ON DATABASE rotator FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE rotator TO rotator;
SQL

# In the new database: only its owner may create objects in schema public.
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname rotator <<'SQL'
ALTER SCHEMA public OWNER TO rotator;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL
