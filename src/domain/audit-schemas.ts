import { z } from 'zod';
import { uuidSchema } from './rotation-schemas.js';

/** Which audit events to list: a project's, optionally one rotation's, newest first. */
export const auditQuerySchema = z.strictObject({
  projectId: uuidSchema,
  rotationId: uuidSchema.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(1, { error: 'must be 1–1000' }).max(1000, { error: 'must be 1–1000' }).default(100),
});
export type AuditQuery = z.output<typeof auditQuerySchema>;

/** One audit event as the API answers it (never a secret value). */
export const auditEventSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  projectId: z.string().nullable(),
  rotationId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEventView = z.output<typeof auditEventSchema>;
