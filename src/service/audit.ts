import { z } from 'zod';
import { uuidSchema } from '../domain/rotation-schemas.js';
import { listAudit, type AuditRow } from '../store/audit.js';
import type { ServiceContext } from './context.js';
import { parseInput } from './errors.js';
import { requireProject } from './projects.js';

export const auditQuerySchema = z.strictObject({
  projectId: uuidSchema,
  rotationId: uuidSchema.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(1, { error: 'must be 1–1000' }).max(1000, { error: 'must be 1–1000' }).default(100),
});

/** A project's audit events, newest first: rotations, failures, config changes, credential and secret reads. */
export async function listAuditEvents(ctx: ServiceContext, query: unknown): Promise<AuditRow[]> {
  const q = parseInput(auditQuerySchema, query);
  await requireProject(ctx.db.pool, q.projectId);
  return listAudit(ctx.db.pool, q);
}
