import { z } from 'zod';
import { slugSchema } from './rotation-schemas.js';

/**
 * A human name (project, environment, API token): 1–64 characters once trimmed, no control characters. The length
 * is checked before trimming too, so that no body longer than the published `maxLength` is accepted.
 */
export const displayNameSchema = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') })
  .max(64, { error: 'must be at most 64 characters' })
  .trim()
  .min(1, { error: 'must not be empty' })
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s), { error: 'must not contain control characters' });

export const createProjectSchema = z.strictObject({ name: displayNameSchema }, { error: 'must be a JSON object { name }' });
export type CreateProjectInput = z.output<typeof createProjectSchema>;

export const createEnvironmentSchema = z.strictObject(
  { name: displayNameSchema, slug: slugSchema },
  { error: 'must be a JSON object { name, slug }' },
);
export type CreateEnvironmentInput = z.output<typeof createEnvironmentSchema>;
