import pg from 'pg';
import { clientConfig, DEFAULT_TARGET_LIMITS } from '../activities/target-pools.js';
import { createConnectionSchema } from '../domain/connection-schemas.js';
import { redact } from '../domain/errors.js';
import { recordAudit } from '../store/audit.js';
import {
  connectionInUse,
  deleteConnection,
  getConnection,
  insertConnection,
  listConnections,
  type TargetConnection,
} from '../store/connections.js';
import { isUniqueViolation } from '../store/db.js';
import type { ServiceContext } from './context.js';
import { requireProject } from './projects.js';
import { fieldError, parseInput, ServiceError } from './errors.js';

/** Creates a connection after proving the credentials log in; the password is stored encrypted, never returned. */
export async function addConnection(ctx: ServiceContext, body: unknown, actor: string): Promise<TargetConnection> {
  const input = parseInput(createConnectionSchema, body);
  await requireProject(ctx.db.pool, input.projectId);
  const c = input.credentials;
  const probe: TargetConnection = {
    id: 'probe',
    projectId: input.projectId,
    name: input.name,
    description: input.description ?? null,
    host: c.host,
    port: c.port,
    database: c.database,
    username: c.username,
    sslEnabled: c.sslEnabled,
    sslRejectUnauthorized: c.sslRejectUnauthorized,
    sslCertificate: c.sslCertificate ?? null,
    createdAt: '',
    updatedAt: '',
  };
  const client = new pg.Client(clientConfig(probe, c.username, c.password, DEFAULT_TARGET_LIMITS));
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw fieldError('validation', 'credentials', `must log in to the database: ${redact((err as Error).message, [c.password])}`);
  } finally {
    await client.end().catch(() => {});
  }
  try {
    const created = await insertConnection(ctx.db, { ...c, projectId: input.projectId, name: input.name, description: input.description });
    await recordAudit(ctx.db.pool, { actor, action: 'connection.created', projectId: created.projectId, details: { connectionId: created.id, name: created.name } });
    return created;
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError('conflict', 'name', `must be unique in the project: "${input.name}" exists`);
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
