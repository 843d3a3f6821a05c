import { z } from 'zod';
import { secretPathSchema, slugSchema, uuidSchema } from './rotation-schemas.js';

/** A folder's mapped secrets: the latest versions, or one version of one key. */
export const secretQuerySchema = z.strictObject({
  projectId: uuidSchema,
  environment: slugSchema,
  secretPath: secretPathSchema.default('/'),
  key: z.string().min(1).max(255).optional(),
  // Versions are stored as PostgreSQL integers: a larger number can name no version (and must not reach SQL).
  version: z.coerce
    .number()
    .int({ error: 'must be a positive integer' })
    .positive({ error: 'must be a positive integer' })
    .max(2_147_483_647, { error: 'must be a positive integer of at most 2147483647' })
    .optional(),
});
export type SecretQuery = z.output<typeof secretQuerySchema>;

/** One version of a mapped secret, without its value (reading a value is its own audited request). */
export const secretVersionSchema = z.object({ secretKey: z.string(), version: z.number().int(), createdAt: z.string() });
export type SecretVersionInfo = z.output<typeof secretVersionSchema>;
