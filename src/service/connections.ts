import pg from 'pg';
import { clientConfig, DEFAULT_TARGET_LIMITS } from '../target/settings.js';
import { createConnectionSchema, updateConnectionSchema } from '../domain/connection-schemas.js';
import { redact } from '../domain/errors.js';
import { recordAudit } from '../store/audit.js';
import {
  connectionInUse,
  deleteConnection,
  getConnection,
  insertConnection,
  listConnections,
  readConnectionPassword,
  type TargetConnection,
  updateConnectionRow,
} from '../store/connections.js';
import { isUniqueViolation, withTransaction } from '../store/db.js';
import type { ServiceContext } from './context.js';
import { requireProject } from './projects.js';
import { fieldError, parseInput, ServiceError } from './errors.js';

/** Logs in with the given settings, or fails naming `credentials` (the password never appears in the message). */
async function proveLogin(c: TargetConnection, password: string): Promise<void> {
  const client = new pg.Client(clientConfig(c, c.username, password, DEFAULT_TARGET_LIMITS));
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw fieldError('validation', 'credentials', `must log in to the database: ${redact((err as Error).message, [password])}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates a connection after proving the credentials log in; the password is stored encrypted, never returned. */
export async function addConnection(ctx: ServiceContext, body: unknown, actor: string): Promise<TargetConnection> {
  const input = parseInput(createConnectionSchema, body);
  await requireProject(ctx.db.pool, input.projectId);
  const { password, ...c } = input.credentials;
  await proveLogin(
    { ...c, id: 'new', projectId: input.projectId, name: input.name, description: input.description ?? null, sslCertificate: c.sslCertificate ?? null, createdAt: '', updatedAt: '' },
    password,
  );
  try {
    const created = await insertConnection(ctx.db, { ...input.credentials, projectId: input.projectId, name: input.name, description: input.description });
    await recordAudit(ctx.db.pool, { actor, action: 'connection.created', projectId: created.projectId, details: { connectionId: created.id, name: created.name } });
    return created;
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError('conflict', 'name', `must be unique in the project: "${input.name}" exists`);
    throw err;
  }
}

/** Changes a connection; new credentials must log in before they are stored. */
export async function updateConnection(ctx: ServiceContext, id: string, body: unknown, actor: string): Promise<TargetConnection> {
  const patch = parseInput(updateConnectionSchema, body);
  const current = await requireConnection(ctx, id);
  const { password, ...creds } = patch.credentials ?? {};
  const next: TargetConnection = {
    ...current,
    ...creds,
    sslCertificate: creds.sslCertificate === undefined ? current.sslCertificate : creds.sslCertificate,
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
  };
  if (patch.credentials) await proveLogin(next, password ?? (await readConnectionPassword(ctx.db, id)));
  try {
    const updated = await withTransaction(ctx.db.pool, (tx) => updateConnectionRow(ctx.db, tx, next, password ?? null));
    await recordAudit(ctx.db.pool, { actor, action: 'connection.updated', projectId: updated.projectId, details: { connectionId: id, fields: Object.keys(patch) } });
    return updated;
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError('conflict', 'name', `must be unique in the project: "${next.name}" exists`);
    throw err;
  }
}

export async function requireConnection(ctx: ServiceContext, id: string): Promise<TargetConnection> {
  const found = /^[0-9a-f-]{36}$/i.test(id) ? await getConnection(ctx.db.pool, id) : null;
  if (!found) throw fieldError('not-found', 'connectionId', `must name an existing connection: ${id} not found`);
  return found;
}

export async function listAllConnections(ctx: ServiceContext, projectId?: string): Promise<TargetConnection[]> {
  return listConnections(ctx.db.pool, projectId);
}

export async function removeConnection(ctx: ServiceContext, id: string, actor: string): Promise<void> {
  const found = await requireConnection(ctx, id);
  const users = await connectionInUse(ctx.db.pool, id);
  if (users.length > 0) throw new ServiceError('conflict', `connection ${found.name} is used by rotation(s) ${users.join(', ')}; delete them first`);
  await deleteConnection(ctx.db.pool, id);
  await recordAudit(ctx.db.pool, { actor, action: 'connection.deleted', projectId: found.projectId, details: { connectionId: id, name: found.name } });
}
