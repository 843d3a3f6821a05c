import type { Queryable } from './db.js';

export interface WebhookDelivery {
  id: number;
  event: string;
  payload: Record<string, unknown>;
  attempts: number;
}

export async function enqueueWebhook(
  db: Queryable,
  d: { event: string; projectId: string; rotationId: string; payload: Record<string, unknown> },
): Promise<void> {
  await db.query('INSERT INTO webhook_deliveries (event, project_id, rotation_id, payload) VALUES ($1, $2, $3, $4)', [
    d.event,
    d.projectId,
    d.rotationId,
    JSON.stringify(d.payload),
  ]);
}

/** Due deliveries, locked for this transaction; other senders skip them (several workers may run). */
export async function claimDueWebhooks(db: Queryable, limit: number): Promise<WebhookDelivery[]> {
  const { rows } = await db.query(
    `SELECT id, event, payload, attempts FROM webhook_deliveries
     WHERE delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= now()
     ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((r) => ({ id: Number(r.id), event: r.event, payload: r.payload, attempts: r.attempts }));
}

export async function markWebhookDelivered(db: Queryable, id: number): Promise<void> {
  await db.query('UPDATE webhook_deliveries SET delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1', [id]);
}

/** Records a failed attempt: retried after `retryInMs`, or abandoned when that is null. */
export async function markWebhookFailed(db: Queryable, id: number, error: string, retryInMs: number | null): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $2,
       next_attempt_at = now() + make_interval(secs => $3::double precision / 1000),
       abandoned_at = CASE WHEN $4 THEN now() END
     WHERE id = $1`,
    [id, error, retryInMs ?? 0, retryInMs === null],
  );
}
