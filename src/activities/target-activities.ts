import pg from 'pg';
import { ConfigurationError } from '../domain/errors.js';
import { generatePassword } from '../domain/password.js';
import type { Slot } from '../domain/rotation-types.js';
import { scramSha256Verifier } from '../domain/scram.js';
import { DEFAULT_ROTATION_STATEMENT, renderRotationStatement } from '../domain/sql.js';
import { getConnection, readConnectionPassword, type TargetConnection } from '../store/connections.js';
import { readCredential } from '../store/credentials.js';
import type { ControlDb } from '../store/db.js';
import { getRotation, type RotationRecord } from '../store/rotations.js';
import { guarded } from './failures.js';
import { clientConfig, type TargetLimits, type TargetPools } from './target-pools.js';
import type { CredentialRef, RotationActivities } from './types.js';

export interface TargetDeps {
  db: ControlDb;
  pools: TargetPools;
  limits: TargetLimits;
}

type PgError = Error & { code?: string };
const pgCode = (err: unknown) => (err as PgError)?.code;

interface Target {
  rotation: RotationRecord;
  connection: TargetConnection;
  adminPassword: string;
}

async function loadTarget(db: ControlDb, rotationId: string): Promise<Target> {
  const rotation = await getRotation(db.pool, rotationId);
  if (!rotation) throw new ConfigurationError('ROTATION_MISSING', `rotation ${rotationId} does not exist in the control database`);
  const connection = await getConnection(db.pool, rotation.connectionId);
  if (!connection) throw new ConfigurationError('CONNECTION_MISSING', `connection ${rotation.connectionId} does not exist`);
  return { rotation, connection, adminPassword: await readConnectionPassword(db, connection.id) };
}

const roleOf = (r: RotationRecord, slot: Slot) => (slot === 0 ? r.config.parameters.username1 : r.config.parameters.username2);
const quoteIdent = (s: string) => pg.escapeIdentifier(s);

/** Turns PostgreSQL's answer to the admin connection into a configuration error where retrying cannot help. */
function classifyAdminError(err: unknown, t: Target, role?: string): never {
  const code = pgCode(err);
  const admin = t.connection.username;
  const message = err instanceof Error ? err.message : String(err);
  if (code === '28P01' || code === '28000') {
    throw new ConfigurationError('ADMIN_AUTH_FAILED', `the admin connection "${t.connection.name}" could not log in as ${admin}: ${message}`, 'update the connection with the correct admin password.');
  }
  if (code === '3D000') throw new ConfigurationError('DATABASE_MISSING', `database "${t.connection.database}" does not exist: ${message}`);
  if (code === '42704') {
    throw new ConfigurationError('ROLE_MISSING', message, role ? `CREATE ROLE ${quoteIdent(role)} LOGIN;` : undefined);
  }
  if (code === '42501') {
    throw new ConfigurationError(
      'PERMISSION_DENIED',
      `${admin} may not change the password of ${role ?? 'the role'}: ${message}`,
      role ? `GRANT ${quoteIdent(role)} TO ${quoteIdent(admin)} WITH ADMIN OPTION; (PostgreSQL 16+) or ALTER ROLE ${quoteIdent(admin)} CREATEROLE; (15 and older)` : undefined,
    );
  }
  // Syntax errors, unknown functions/tables, and data exceptions (class 22: a bad literal such as
  // VALID UNTIL 'not a time') come from the statement itself: retrying the same text cannot help.
  if (code === '42601' || code === '42883' || code === '42P01' || code?.startsWith('22')) {
    throw new ConfigurationError('BAD_TEMPLATE', `the rotation statement failed: ${message}`, 'fix parameters.rotationStatement.');
  }
  // Transient: retried with backoff by Temporal.
  const who = role ? `the role ${quoteIdent(role)}` : 'a role';
  if (code === '55P03') throw new Error(`${who} is locked by another transaction (lock_timeout reached); will retry: ${message}`);
  if (code === '57014') throw new Error(`the statement for ${who} was cancelled on the target (statement_timeout, or by an administrator); will retry: ${message}`);
  throw err;
}

export function createTargetActivities(deps: TargetDeps): Pick<
  RotationActivities,
  'preflight' | 'applyPassword' | 'verifyLogin' | 'revokeCredentials'
> {
  const { db, pools, limits } = deps;

  async function withAdmin<T>(t: Target, role: string | undefined, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pools.get(t.connection, t.adminPassword).connect();
    } catch (err) {
      classifyAdminError(err, t, role);
    }
    try {
      return await fn(client);
    } catch (err) {
      classifyAdminError(err, t, role);
    } finally {
      client.release();
    }
  }

  async function setRolePassword(t: Target, role: string, password: string): Promise<void> {
    const p = t.rotation.config.parameters;
    const template = p.rotationStatement ?? DEFAULT_ROTATION_STATEMENT;
    // The server only ever sees a SCRAM verifier unless the template explicitly opted into plaintext.
    const secretValue = p.rotationStatementPassword === 'plaintext' ? password : scramSha256Verifier(password);
    const sql = renderRotationStatement(template, { username: role, password: secretValue, database: t.connection.database });
    await withAdmin(t, role, (c) => c.query(sql));
  }

  return {
    async preflight({ rotationId }) {
      return guarded(async (secrets) => {
        const t = await loadTarget(db, rotationId);
        secrets.push(t.adminPassword);
        const roles = [t.rotation.config.parameters.username1, t.rotation.config.parameters.username2];
        return withAdmin(t, undefined, async (c) => {
          const { rows: me } = await c.query(
            `SELECT current_user AS name, current_setting('server_version_num')::int AS version, r.rolsuper, r.rolcreaterole
             FROM pg_roles r WHERE r.rolname = current_user`,
          );
          const admin = me[0];
          const { rows } = await c.query(
            `SELECT r.rolname, r.rolcanlogin, r.rolsuper,
                    pg_has_role(current_user, r.oid, 'MEMBER WITH ADMIN OPTION') AS admin_option
             FROM pg_roles r WHERE r.rolname = ANY($1)`,
            [roles],
          );
          for (const [i, role] of roles.entries()) {
            const r = rows.find((x) => x.rolname === role);
            const q = quoteIdent(role);
            // Name the request field, so that the user knows which input to fix (DESIGN I6).
            const field = `parameters.username${i + 1}`;
            if (!r) throw new ConfigurationError('ROLE_MISSING', `${field}: role ${q} does not exist on ${t.connection.host}:${t.connection.port}/${t.connection.database}`, { fix: `CREATE ROLE ${q} LOGIN;`, field });
            if (role === admin.name) throw new ConfigurationError('ADMIN_ROLE', `${field}: role ${q} is the connection's own admin role; rotate two separate application roles`, { fix: `CREATE ROLE ${quoteIdent(role + '_2')} LOGIN; and use it instead`, field });
            if (!r.rolcanlogin) throw new ConfigurationError('ROLE_CANNOT_LOGIN', `${field}: role ${q} may not log in`, { fix: `ALTER ROLE ${q} LOGIN;`, field });
            if (r.rolsuper) throw new ConfigurationError('SUPERUSER_ROLE', `${field}: role ${q} is a superuser; rotating a superuser's password is refused`, { fix: `ALTER ROLE ${q} NOSUPERUSER;`, field });
            if (!admin.rolsuper) {
              if (!admin.rolcreaterole) {
                throw new ConfigurationError('PERMISSION_DENIED', `${quoteIdent(admin.name)} has neither SUPERUSER nor CREATEROLE, so it cannot change passwords`, `ALTER ROLE ${quoteIdent(admin.name)} CREATEROLE;`);
              }
              if (admin.version >= 160000 && !r.admin_option) {
                throw new ConfigurationError('PERMISSION_DENIED', `${quoteIdent(admin.name)} lacks ADMIN OPTION on ${q} (required on PostgreSQL 16+)`, `GRANT ${q} TO ${quoteIdent(admin.name)} WITH ADMIN OPTION;`);
              }
            }
          }
          return { serverVersion: Number(admin.version), roles };
        });
      });
    },

    async applyPassword(ref: CredentialRef) {
      return guarded(async (secrets) => {
        const t = await loadTarget(db, ref.rotationId);
        const password = await readCredential(db, ref);
        secrets.push(t.adminPassword, password);
        await setRolePassword(t, roleOf(t.rotation, ref.slot), password);
      });
    },

    async verifyLogin(ref: CredentialRef) {
      return guarded(async (secrets) => {
        const t = await loadTarget(db, ref.rotationId);
        const password = await readCredential(db, ref);
        secrets.push(t.adminPassword, password);
        const role = roleOf(t.rotation, ref.slot);
        const client = new pg.Client(clientConfig(t.connection, role, password, limits));
        client.on('error', () => {});
        try {
          await client.connect();
          await client.query('SELECT 1');
        } catch (err) {
          if (pgCode(err) === '42501') {
            throw new ConfigurationError('LOGIN_NOT_PERMITTED', `role ${quoteIdent(role)} may not connect to database ${quoteIdent(t.connection.database)}: ${(err as Error).message}`, `GRANT CONNECT ON DATABASE ${quoteIdent(t.connection.database)} TO ${quoteIdent(role)};`);
          }
          throw new Error(`login as ${quoteIdent(role)} with the new password failed: ${(err as Error).message}`);
        } finally {
          await client.end().catch(() => {});
        }
      });
    },

    async revokeCredentials({ rotationId }) {
      return guarded(async (secrets) => {
        const t = await loadTarget(db, rotationId);
        secrets.push(t.adminPassword);
        for (const slot of [0, 1] as const) {
          // A password nobody keeps: the role stays, but nothing issued by this rotation logs in any more.
          const throwaway = generatePassword({ length: 64, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 0 }, allowedSymbols: '-_.~!*' });
          secrets.push(throwaway);
          await setRolePassword(t, roleOf(t.rotation, slot), throwaway);
        }
      });
    },
  };
}
