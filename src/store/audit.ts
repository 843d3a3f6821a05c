import type { AuditEventView } from '../domain/audit-schemas.js';
import type { Queryable } from './db.js';

export interface AuditEvent {
  actor: string;
  action: string;
  projectId?: string | null;
  rotationId?: string | null;
  /** Non-secret facts only (ids, field names, versions). */
  details?: Record<string, unknown>;
}

export async function recordAudit(db: Queryable, event: AuditEvent): Promise<void> {
  await db.query(
    'INSERT INTO audit_events (actor, action, project_id, rotation_id, details) VALUES ($1, $2, $3, $4, $5)',
    [event.actor, event.action, event.projectId ?? null, event.rotationId ?? null, JSON.stringify(event.details ?? {})],
  );
}

export async function listAudit(db: Queryable, filter: { projectId?: string; rotationId?: string; limit?: number }): Promise<AuditEventView[]> {
  const { rows } = await db.query(
    `SELECT id, at, actor, action, project_id, rotation_id, details FROM audit_events
     WHERE ($1::uuid IS NULL OR rotation_id = $1) AND ($2::uuid IS NULL OR project_id = $2) ORDER BY id DESC LIMIT $3`,
    [filter.rotationId ?? null, filter.projectId ?? null, filter.limit ?? 100],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: (r.at as Date).toISOString(),
    actor: r.actor,
    action: r.action,
    projectId: r.project_id,
    rotationId: r.rotation_id,
    details: r.details,
  }));
}
