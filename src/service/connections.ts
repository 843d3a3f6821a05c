import type { CreateConnectionInput, UpdateConnectionPatch } from '../domain/connection-schemas.js';
import type { RotationParameters } from '../domain/rotation-schemas.js';
import { clusterIdentity } from '../target/cluster-identity.js';
import { checkLogin } from '../target/login.js';
import { recordAudit } from '../store/audit.js';
import {
  connectionInUse,
  deleteConnection,
  getConnection,
  insertConnection,
  listConnections,
  lockClusterId,
  readConnectionPassword,
  setClusterId,
  type TargetConnection,
  updateConnectionRow,
} from '../store/connections.js';
import { isUniqueViolation, type Queryable, withTransaction } from '../store/db.js';
import { adoptRoles, claimRoles, type RoleOwner } from '../store/role-owners.js';
import type { ServiceContext } from './context.js';
import { requireProject } from './projects.js';
import { type ErrorDetail, fieldError, ServiceError } from './errors.js';

/**
 * Logs in as the connection's admin (the one login check, within the cluster's cap) and returns the cluster it
 * reaches. A server that cannot be reached is `unavailable` (retrying later may help); a refused or failed login
 * blames `field` (its credentials are the caller's input).
 */
async function identifyCluster(ctx: ServiceContext, c: TargetConnection, password: string, field: string): Promise<string> {
  let clusterId: string | undefined;
  const outcome = await checkLogin(ctx.target, c, { user: c.username, password }, {
    then: async (client) => {
      clusterId = await clusterIdentity(client);
    },
  });
  if (!outcome.ok && outcome.unreachable) {
    throw fieldError('unavailable', field, `must reach the database server: ${c.host}:${c.port} could not be reached (${outcome.message})`);
  }
  if (!outcome.ok) throw fieldError('validation', field, `must log in to the database: ${outcome.message}`);
  return clusterId!;
}

/** The check of new credentials, blaming `credentials`. */
const proveLogin = (ctx: ServiceContext, c: TargetConnection, password: string) => identifyCluster(ctx, c, password, 'credentials');

/** Creates a connection after proving the credentials log in; the password is stored encrypted, never returned. */
export async function addConnection(ctx: ServiceContext, input: CreateConnectionInput, actor: string): Promise<TargetConnection> {
  await requireProject(ctx.db.pool, input.projectId);
  const { password, ...c } = input.credentials;
  const clusterId = await proveLogin(
    ctx,
    { ...c, id: 'new', projectId: input.projectId, name: input.name, description: input.description ?? null, sslCertificate: c.sslCertificate ?? null, clusterId: null, createdAt: '', updatedAt: '' },
    password,
  );
  try {
    const created = await insertConnection(ctx.db, { ...input.credentials, projectId: input.projectId, name: input.name, description: input.description, clusterId });
    await recordAudit(ctx.db.pool, { actor, action: 'connection.created', projectId: created.projectId, details: { connectionId: created.id, name: created.name } });
    return created;
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError('conflict', 'name', `must be unique in the project: "${input.name}" exists`);
    throw err;
  }
}

/** Changes a connection; new credentials must log in before they are stored. */
export async function updateConnection(ctx: ServiceContext, id: string, patch: UpdateConnectionPatch, actor: string): Promise<TargetConnection> {
  const current = await requireConnection(ctx, id);
  const { password, ...creds } = patch.credentials ?? {};
  const next: TargetConnection = {
    ...current,
    ...creds,
    sslCertificate: creds.sslCertificate === undefined ? current.sslCertificate : creds.sslCertificate,
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
  };
  const clusterId = patch.credentials ? await proveLogin(ctx, next, password ?? (await readConnectionPassword(ctx.db.pool, ctx.db.box, id))) : null;
  try {
    const updated = await withTransaction(ctx.db.pool, async (tx) => {
      const stored = await lockClusterId(tx, id);
      if (clusterId !== null && stored !== null && clusterId !== stored) {
        const users = await connectionInUse(tx, id);
        if (users.length > 0) {
          const field = (['host', 'port'] as const).find((k) => creds[k] !== undefined && creds[k] !== current[k]) ?? 'host';
          throw fieldError(
            'conflict',
            `credentials.${field}`,
            `must reach the same PostgreSQL cluster while rotations use this connection (${users.join(', ')}): ` +
              `the new settings reach ${clusterId}, the connection's rotations manage roles on ${stored}; ` +
              'delete those rotations first, or make a new connection for the other cluster',
          );
        }
      }
      const row = await updateConnectionRow(ctx.db, tx, next, password ?? null, clusterId ?? stored);
      if (stored === null && clusterId !== null) await adoptRoles(tx, id, clusterId);
      return row;
    });
    await recordAudit(ctx.db.pool, { actor, action: 'connection.updated', projectId: updated.projectId, details: { connectionId: id, fields: Object.keys(patch) } });
    return updated;
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError('conflict', 'name', `must be unique in the project: "${next.name}" exists`);
    throw err;
  }
}

/**
 * Where a role is already managed: `<field> must name a role no other rotation manages …`, naming its owner. An
 * owner in another project is named by id only: the caller may have no right to read that project.
 */
function ownedRoleDetails(projectId: string, p: Pick<RotationParameters, 'username1' | 'username2'>, owners: RoleOwner[]): ErrorDetail[] {
  return (['username1', 'username2'] as const).flatMap((key) => {
    const owner = owners.find((o) => o.roleName === p[key]);
    if (!owner) return [];
    const field = `parameters.${key}`;
    const where =
      owner.projectId === projectId
        ? `rotation "${owner.rotationName}" (environment ${owner.environment}, folder ${owner.secretPath})`
        : `rotation ${owner.rotationId} of another project`;
    const rule = `must name a role no other rotation manages on this PostgreSQL cluster: role "${p[key]}" is managed by ${where}`;
    return [{ field, rule, message: `${field} ${rule}` }];
  });
}

/**
 * Makes the new rotation the owner of its two roles on the connection's cluster, in the transaction that inserts
 * it (so a refusal leaves nothing behind and starts no workflow), or refuses with a conflict naming each role
 * and the rotation that already owns it. A connection made before clusters were recorded is identified here.
 */
export async function claimRotationRoles(
  ctx: ServiceContext,
  tx: Queryable,
  connection: TargetConnection,
  rotationId: string,
  parameters: Pick<RotationParameters, 'username1' | 'username2'>,
): Promise<void> {
  let clusterId = await lockClusterId(tx, connection.id);
  if (clusterId === null) {
    const password = await readConnectionPassword(tx, ctx.db.box, connection.id);
    clusterId = await identifyCluster(ctx, connection, password, 'connectionId');
    await setClusterId(tx, connection.id, clusterId);
    await adoptRoles(tx, connection.id, clusterId);
  }
  const owners = await claimRoles(tx, clusterId, rotationId, [parameters.username1, parameters.username2]);
  const details = ownedRoleDetails(connection.projectId, parameters, owners);
  if (details.length > 0) throw new ServiceError('conflict', details.map((d) => d.message).join('; '), details);
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
