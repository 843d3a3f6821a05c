import { z } from 'zod';
import { uuidSchema } from './rotation-schemas.js';

/** Which audit events to list: a project's, optionally one rotation's, newest first. */
export const auditQuerySchema = z.strictObject({
  projectId: uuidSchema,
  rotationId: uuidSchema.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(1, { error: 'must be 1–1000' }).max(1000, { error: 'must be 1–1000' }).default(100),
});
export type AuditQuery = z.output<typeof auditQuerySchema>;
