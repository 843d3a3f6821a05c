import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEMO_DATABASE = 'demo';
export const DEMO_ROLES = ['demo_app_1', 'demo_app_2'] as const;
/** The role names of the README's sample request, so that it works as written against the dev API. */
export const SAMPLE_REQUEST_ROLES = ['infisical_user_1', 'infisical_user_2'] as const;
const ALL_ROLES = [...DEMO_ROLES, ...SAMPLE_REQUEST_ROLES];
export const DEMO_ADMIN = 'demo_rotator_admin';

/**
 * Prepares the demo target the way the README's prerequisites describe: login roles with a temporary
 * password (two for the demo rotation, two for trying the README's sample request), and an admin role with CREATEROLE (not superuser) that may change their passwords.
 * Returns the admin password when the admin role was (re)created, null when it already existed.
 */
export async function prepareDemoTarget(superuserUrl: (db: string) => string): Promise<string | null> {
  const q = pg.escapeIdentifier;
  const server = new pg.Client({ connectionString: superuserUrl('postgres') });
  await server.connect();
  try {
    const db = await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [DEMO_DATABASE]);
    if (!db.rowCount) await server.query(`CREATE DATABASE ${q(DEMO_DATABASE)}`);
    for (const role of ALL_ROLES) {
      const exists = await server.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (!exists.rowCount) await server.query(`CREATE ROLE ${q(role)} LOGIN PASSWORD ${pg.escapeLiteral('temporary_password')}`);
      await server.query(`GRANT CONNECT ON DATABASE ${q(DEMO_DATABASE)} TO ${q(role)}`);
    }
    const admin = await server.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [DEMO_ADMIN]);
    if (admin.rowCount) return null;
    const password = randomBytes(24).toString('base64url');
    await server.query(`CREATE ROLE ${q(DEMO_ADMIN)} LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(password)}`);
    // PostgreSQL 16+ also wants ADMIN OPTION on the roles it manages; harmless on 15.
    for (const role of ALL_ROLES) await server.query(`GRANT ${q(role)} TO ${q(DEMO_ADMIN)} WITH ADMIN OPTION`);
    return password;
  } finally {
    await server.end();
  }
}
