-- Up Migration

-- Outbox of webhook notifications: written in the same transaction as the state change that caused them,
-- sent (and retried with backoff) by the worker's webhook sender.
CREATE TABLE webhook_deliveries (
  id bigserial PRIMARY KEY,
  event text NOT NULL,
  project_id uuid,
  rotation_id uuid,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  abandoned_at timestamptz,
  last_error text
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND abandoned_at IS NULL;

-- Down Migration
DROP TABLE webhook_deliveries;
