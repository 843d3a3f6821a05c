import pg from 'pg';
import type { PreflightResult } from '../activities/types.js';
import { ConfigurationError } from '../domain/errors.js';
import { type AdminAccess, withAdmin } from './admin.js';
import type { TargetSessions } from './sessions.js';

const q = (s: string) => pg.escapeIdentifier(s);

interface AdminFacts {
  name: string;
  version: number;
  rolsuper: boolean;
  rolcreaterole: boolean;
}

interface RoleFacts {
  rolname: string;
  rolcanlogin: boolean;
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  admin_option: boolean;
}

/** Attributes that make a role an administrator of sorts: advice never grants, enables or strips them. */
function powersOf(r: RoleFacts): string[] {
  return [r.rolsuper && 'SUPERUSER', r.rolcreaterole && 'CREATEROLE', r.rolreplication && 'REPLICATION', r.rolbypassrls && 'BYPASSRLS'].filter(
    (p): p is string => typeof p === 'string',
  );
}

/**
 * The fix for a role that must not be rotated: a new, dedicated login role. Never "ALTER ROLE … NOSUPERUSER"
 * (that would break whatever administers the database with it) nor a GRANT of a privileged role to the admin.
 * No PASSWORD clause: the rotation gives the role its password when it issues credentials.
 */
function dedicatedRoleFix(admin: AdminFacts, database: string, field: string, slot: number): string {
  const role = q(`app_login_${slot}`);
  const statements = [`CREATE ROLE ${role} LOGIN;`, `GRANT CONNECT ON DATABASE ${q(database)} TO ${role};`];
  // On PostgreSQL 16+ a non-superuser admin changes only the passwords of roles it holds with ADMIN OPTION.
  if (!admin.rolsuper && admin.version >= 160000) statements.push(`GRANT ${role} TO ${q(admin.name)} WITH ADMIN OPTION;`);
  return (
    `use a dedicated login role without SUPERUSER, CREATEROLE, REPLICATION or BYPASSRLS for ${field} (do not change the ` +
    `attributes of the role you named: something may administer the database with it), e.g. ${statements.join(' ')} ` +
    `then grant it what your application needs and set ${field} to it (no password needed: the rotation sets it).`
  );
}

/** Refuses, with the SQL to fix it, a role this connection should not or cannot rotate. */
function checkRole(admin: AdminFacts, r: RoleFacts | undefined, role: string, slot: number, access: AdminAccess): void {
  const c = access.connection;
  const field = `parameters.username${slot}`;
  // Name the request field when the role is what the user should change; not when the admin lacks a privilege.
  const fail = (code: string, message: string, fix: string, blame = true) => {
    throw new ConfigurationError(code, message, blame ? { fix, field } : { fix });
  };
  if (!r) return fail('ROLE_MISSING', `role ${q(role)} does not exist on ${c.host}:${c.port}/${c.database}`, `CREATE ROLE ${q(role)} LOGIN;`);
  const dedicated = dedicatedRoleFix(admin, c.database, field, slot);
  if (role === admin.name) return fail('ADMIN_ROLE', `role ${q(role)} is the connection's own admin role; rotate two separate application roles`, dedicated);
  if (r.rolsuper) return fail('SUPERUSER_ROLE', `role ${q(role)} is a superuser; rotating a superuser's password is refused`, dedicated);
  const powers = powersOf(r);
  if (!r.rolcanlogin) {
    // Making a privileged group role log in would open a new way into its powers.
    return fail('ROLE_CANNOT_LOGIN', `role ${q(role)} may not log in`, powers.length > 0 ? dedicated : `ALTER ROLE ${q(role)} LOGIN;`);
  }
  if (admin.rolsuper) return;
  if (!admin.rolcreaterole) {
    return fail('PERMISSION_DENIED', `${q(admin.name)} has neither SUPERUSER nor CREATEROLE, so it cannot change passwords`, `ALTER ROLE ${q(admin.name)} CREATEROLE;`, false);
  }
  // Before 16, CREATEROLE reaches every non-superuser, non-replication role; from 16, the roles held WITH ADMIN OPTION.
  const reachable = admin.version >= 160000 ? r.admin_option : !r.rolreplication;
  if (reachable) return;
  if (powers.length > 0) {
    // Granting this role to the admin would hand the admin its powers.
    return fail('PERMISSION_DENIED', `${q(admin.name)} may not change the password of ${q(role)}, which has ${powers.join(', ')}`, dedicated);
  }
  return fail('PERMISSION_DENIED', `${q(admin.name)} lacks ADMIN OPTION on ${q(role)} (required on PostgreSQL 16+)`, `GRANT ${q(role)} TO ${q(admin.name)} WITH ADMIN OPTION;`, false);
}

/** Checks the admin connection and both roles before anything changes; throws a ConfigurationError with the fix. */
export async function preflight(sessions: TargetSessions, access: AdminAccess, roles: [string, string], signal?: AbortSignal): Promise<PreflightResult> {
  return withAdmin(
    sessions,
    access,
    undefined,
    async (c) => {
      const { rows: me } = await c.query<AdminFacts>(
        `SELECT current_user AS name, current_setting('server_version_num')::int AS version, r.rolsuper, r.rolcreaterole
         FROM pg_roles r WHERE r.rolname = current_user`,
      );
      const admin = me[0]!;
      const { rows } = await c.query<RoleFacts>(
        `SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
                pg_has_role(current_user, r.oid, 'MEMBER WITH ADMIN OPTION') AS admin_option
         FROM pg_roles r WHERE r.rolname = ANY($1)`,
        [roles],
      );
      for (const [i, role] of roles.entries()) {
        checkRole(admin, rows.find((x) => x.rolname === role), role, i + 1, access);
      }
      return { serverVersion: Number(admin.version), roles };
    },
    signal,
  );
}
