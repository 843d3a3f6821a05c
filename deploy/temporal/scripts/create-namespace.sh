#!/bin/sh
# One-shot job (temporalio/admin-tools image), run once the server is healthy: make sure the
# namespace exists and that the custom search attributes the rotation workflow upserts are
# registered with the right types. Safe to re-run: only what is missing is created.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-72h}"
MAX_ATTEMPTS="${TEMPORAL_SETUP_MAX_ATTEMPTS:-60}"
SLEEP_SECONDS="${TEMPORAL_SETUP_SLEEP_SECONDS:-2}"

# name:type — keep in sync with the workflow's search attribute keys.
SEARCH_ATTRIBUTES="PgRotationProjectId:Keyword PgRotationStatus:Keyword PgRotationNextAt:Datetime"

retry() {
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
      echo "Giving up after $attempt attempts: $*" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep "$SLEEP_SECONDS"
  done
}

echo "Waiting for the Temporal server at ${ADDRESS}..."
retry temporal operator cluster health --address "$ADDRESS"

ensure_namespace() {
  temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1 ||
    temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$ADDRESS"
}

# Registers $1 with type $2 unless the namespace already has it.
ensure_search_attribute() {
  temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS" | grep -qw "$1" ||
    temporal operator search-attribute create --namespace "$NAMESPACE" --address "$ADDRESS" --name "$1" --type "$2"
}

echo "Ensuring namespace '${NAMESPACE}' (retention ${RETENTION} if created)..."
retry ensure_namespace

for entry in $SEARCH_ATTRIBUTES; do
  name="${entry%%:*}"
  type="${entry#*:}"
  echo "Ensuring search attribute ${name} (${type})..."
  # Retried: right after creation the namespace may not be in the frontend's cache yet.
  retry ensure_search_attribute "$name" "$type"
done

echo "Namespace '${NAMESPACE}' is ready."
