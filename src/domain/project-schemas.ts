import { z } from 'zod';
import { slugSchema } from './rotation-schemas.js';

const displayName = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(64, { error: 'must be at most 64 characters' })
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s), { error: 'must not contain control characters' });

export const createProjectSchema = z.strictObject({ name: displayName }, { error: 'must be a JSON object { name }' });
export type CreateProjectInput = z.output<typeof createProjectSchema>;

export const createEnvironmentSchema = z.strictObject(
  { name: displayName, slug: slugSchema },
  { error: 'must be a JSON object { name, slug }' },
);
export type CreateEnvironmentInput = z.output<typeof createEnvironmentSchema>;
