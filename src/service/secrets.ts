import { folderLabel } from '../domain/folder.js';
import type { SecretQuery, SecretVersionInfo } from '../domain/secret-schemas.js';
import { recordAudit } from '../store/audit.js';
import { findFolder } from '../store/rotations.js';
import { listRotationSecretVersions, readSecrets, type SecretValue } from '../store/secrets.js';
import type { ServiceContext } from './context.js';
import { requireEnvironment } from './projects.js';
import { fieldError } from './errors.js';

/** Reads mapped secrets (latest versions, or one version of one key). Every read is audited. */
export async function readFolderSecrets(ctx: ServiceContext, q: SecretQuery, actor: string): Promise<SecretValue[]> {
  await requireEnvironment(ctx.db.pool, q.projectId, q.environment);
  const folderId = await findFolder(ctx.db.pool, q.projectId, q.environment, q.secretPath);
  const secrets = folderId ? await readSecrets(ctx.db.pool, ctx.db.box, { folderId, key: q.key, version: q.version }) : [];
  if (q.key && secrets.length === 0) {
    throw fieldError('not-found', 'key', `must name an existing secret${q.version ? ' version' : ''}: ${q.key} not found in ${folderLabel(q.environment, q.secretPath)}`);
  }
  await recordAudit(ctx.db.pool, {
    actor,
    action: 'secrets.read',
    projectId: q.projectId,
    details: { environment: q.environment, secretPath: q.secretPath, keys: secrets.map((s) => s.secretKey) },
  });
  return secrets;
}

/** The versions of a rotation's mapped secrets, newest first: numbers and times only, so not audited as a read. */
export async function listSecretVersions(ctx: ServiceContext, rotationId: string, limit: number): Promise<SecretVersionInfo[]> {
  return listRotationSecretVersions(ctx.db.pool, rotationId, limit);
}
