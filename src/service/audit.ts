import type { AuditEventView, AuditQuery } from '../domain/audit-schemas.js';
import { listAudit } from '../store/audit.js';
import type { ServiceContext } from './context.js';
import { requireProject } from './projects.js';

/** A project's audit events, newest first: rotations, failures, config changes, credential and secret reads. */
export async function listAuditEvents(ctx: ServiceContext, query: AuditQuery): Promise<AuditEventView[]> {
  await requireProject(ctx.db.pool, query.projectId);
  return listAudit(ctx.db.pool, query);
}
