#!/bin/sh
# One-shot job (temporalio/admin-tools image): create the Temporal persistence and visibility
# databases and apply every versioned schema migration. Safe to re-run: `create` ignores an existing
# database, `setup-schema -v 0.0` keeps a newer version, `update-schema` applies only what is missing.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"   # read by temporal-sql-tool itself
PORT="${DB_PORT:-5432}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

echo "Waiting for PostgreSQL at ${POSTGRES_SEEDS}:${PORT}..."
attempt=1
until nc -z -w 5 "$POSTGRES_SEEDS" "$PORT"; do
  if [ "$attempt" -ge 30 ]; then
    echo "PostgreSQL did not accept connections after $attempt attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" "$@"
}

for pair in temporal:temporal visibility:temporal_visibility; do
  dir="${pair%%:*}"
  db="${pair#*:}"
  echo "Setting up database ${db}..."
  sql_tool --db "$db" create
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "${SCHEMA_ROOT}/${dir}/versioned"
done

echo "Temporal schema is up to date."
