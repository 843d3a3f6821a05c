import pg from 'pg';
import { ConfigurationError } from '../domain/errors.js';
import type { RotationConfig } from '../domain/rotation-types.js';
import { scramSha256Verifier } from '../domain/scram.js';
import { DEFAULT_ROTATION_STATEMENT, renderRotationStatement } from '../domain/sql.js';
import type { TargetConnection } from '../store/connections.js';
import type { TargetSessions } from './sessions.js';

/** A connection record with its (decrypted) admin password. */
export interface AdminAccess {
  connection: TargetConnection;
  password: string;
}

const quoteIdent = (s: string) => pg.escapeIdentifier(s);
export const pgCode = (err: unknown): string | undefined => (err as { code?: string } | null)?.code;

/** Turns PostgreSQL's answer to the admin connection into a configuration error where retrying cannot help. */
export function classifyAdminError(err: unknown, connection: TargetConnection, role?: string): never {
  const code = pgCode(err);
  const admin = connection.username;
  const message = err instanceof Error ? err.message : String(err);
  if (code === '28P01' || code === '28000') {
    throw new ConfigurationError('ADMIN_AUTH_FAILED', `the admin connection "${connection.name}" could not log in as ${admin}: ${message}`, 'update the connection with the correct admin password.');
  }
  if (code === '3D000') throw new ConfigurationError('DATABASE_MISSING', `database "${connection.database}" does not exist: ${message}`);
  if (code === '42704') {
    throw new ConfigurationError('ROLE_MISSING', message, role ? `CREATE ROLE ${quoteIdent(role)} LOGIN;` : undefined);
  }
  if (code === '42501') {
    // Granting a privileged role to the admin would hand the admin that role's powers: say so, never advise it blindly.
    throw new ConfigurationError(
      'PERMISSION_DENIED',
      `${admin} may not change the password of ${role ?? 'the role'}: ${message}`,
      role
        ? `if ${quoteIdent(role)} is an ordinary application role (no SUPERUSER, CREATEROLE, REPLICATION or BYPASSRLS): ` +
          `GRANT ${quoteIdent(role)} TO ${quoteIdent(admin)} WITH ADMIN OPTION; (PostgreSQL 16+) or ALTER ROLE ${quoteIdent(admin)} CREATEROLE; ` +
          '(15 and older); otherwise rotate a dedicated login role without those attributes instead.'
        : undefined,
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

/** Runs `work` on an admin session (within the cluster's cap); failures come out classified. */
export async function withAdmin<T>(
  sessions: TargetSessions,
  admin: AdminAccess,
  role: string | undefined,
  work: (client: pg.Client) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  try {
    return await sessions.run(admin.connection, { user: admin.connection.username, password: admin.password }, work, signal);
  } catch (err) {
    if (signal?.aborted) throw err; // the wait was abandoned: nothing reached the server
    classifyAdminError(err, admin.connection, role);
  }
}

/** Sets `role`'s password with the rotation's statement; the server sees a SCRAM verifier unless the rotation opted into plaintext. */
export async function setRolePassword(
  sessions: TargetSessions,
  admin: AdminAccess,
  parameters: Pick<RotationConfig['parameters'], 'rotationStatement' | 'rotationStatementPassword'>,
  role: string,
  password: string,
  signal?: AbortSignal,
): Promise<void> {
  const template = parameters.rotationStatement ?? DEFAULT_ROTATION_STATEMENT;
  const secretValue = parameters.rotationStatementPassword === 'plaintext' ? password : scramSha256Verifier(password);
  const sql = renderRotationStatement(template, { username: role, password: secretValue, database: admin.connection.database });
  await withAdmin(sessions, admin, role, (c) => c.query(sql), signal);
}
