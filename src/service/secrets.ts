import { secretPathSchema, slugSchema, uuidSchema } from '../domain/rotation-schemas.js';
import { z } from 'zod';
import { recordAudit } from '../store/audit.js';
import { findFolder } from '../store/rotations.js';
import { readSecrets, type SecretValue } from '../store/secrets.js';
import type { ServiceContext } from './context.js';
import { requireEnvironment } from './projects.js';
import { fieldError, parseInput } from './errors.js';

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

/** Reads mapped secrets (latest versions, or one version of one key). Every read is audited. */
export async function readFolderSecrets(ctx: ServiceContext, query: unknown, actor: string): Promise<SecretValue[]> {
  const q = parseInput(secretQuerySchema, query);
  await requireEnvironment(ctx.db.pool, q.projectId, q.environment);
  const folderId = await findFolder(ctx.db.pool, q.projectId, q.environment, q.secretPath);
  const secrets = folderId ? await readSecrets(ctx.db.pool, ctx.db.box, { folderId, key: q.key, version: q.version }) : [];
  if (q.key && secrets.length === 0) {
    throw fieldError('not-found', 'key', `must name an existing secret${q.version ? ' version' : ''}: ${q.key} not found in ${q.environment}:${q.secretPath}`);
  }
  await recordAudit(ctx.db.pool, {
    actor,
    action: 'secrets.read',
    projectId: q.projectId,
    details: { environment: q.environment, secretPath: q.secretPath, keys: secrets.map((s) => s.secretKey) },
  });
  return secrets;
}
