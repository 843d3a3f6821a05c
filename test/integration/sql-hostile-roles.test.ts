// For role names built to break out of quoting, the rendered ALTER ROLE changes exactly that role's password
// and nothing else: no other role's password, no new roles, no new tables.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generatePassword } from '../../src/domain/password.js';
import { passwordRequirementsSchema } from '../../src/domain/rotation-schemas.js';
import { scramSha256Verifier } from '../../src/domain/scram.js';
import { renderAlterRolePassword, renderRotationStatement } from '../../src/domain/sql.js';
import { adminDatabase, canLogin } from '../support/stack.js';

const adminUrl = new URL(inject('adminDatabaseUrl'));
const tag = randomBytes(3).toString('hex');
// Every name carries a prefix so that parallel or earlier runs cannot collide; byte counts include it.
const P = 'hr_';
const HOSTILE: [string, string][] = [
  ['double quote', `${P}a"b`],
  ['lone double quote', `${P}"`],
  ['single quotes', `${P}it's ''`],
  ['identifier break-out creating a role', `${P}x"; CREATE ROLE pwned_${tag}; --`],
  ['literal break-out creating a table', `${P}x'); CREATE TABLE pwned_${tag}(); --`],
  ['semicolons', `${P};;`],
  ['line comment', `${P}-- x`],
  ['block comment', `${P}/* x */`],
  ['spaces', `${P} with  spaces `],
  ['backslashes', `${P}back\\slash\\`],
  ['dollar quotes', `${P}$$x$$`],
  ['placeholder text', `${P}{{password}}`],
  ['unicode', `${P}Ünïcödé_rôle`],
  ['emoji', `${P}🔑rotator`],
  ['exactly 63 bytes, 3-byte chars', `${P}${'€'.repeat(20)}`],
  ['exactly 63 bytes, emoji', `${P}${'🔑'.repeat(15)}`],
];

let admin: pg.Client;
const canary = { name: `hr_canary_${tag}`, password: '' };
const current = new Map<string, string>();
const q = pg.escapeIdentifier;
const req = passwordRequirementsSchema.parse({ length: 32 });

/** Logs in to the admin URL's database: true on success, false on authentication failure (28P01). */
const login = (user: string, password: string) => canLogin(adminDatabase(), user, password);

async function snapshot() {
  const roles = await admin.query<{ rolname: string; rolpassword: string | null }>(
    'SELECT rolname, rolpassword FROM pg_authid ORDER BY rolname',
  );
  const tables = await admin.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`,
  );
  return {
    passwords: new Map(roles.rows.map((r) => [r.rolname, r.rolpassword])),
    tables: tables.rows.map((r) => r.name),
  };
}

function changedRoles(before: Map<string, string | null>, after: Map<string, string | null>): string[] {
  return [...after].filter(([name, pw]) => before.get(name) !== pw).map(([name]) => name);
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  canary.password = generatePassword(req);
  await admin.query(`CREATE ROLE ${q(canary.name)} LOGIN PASSWORD ${pg.escapeLiteral(scramSha256Verifier(canary.password))}`);
  for (const [, name] of HOSTILE) {
    expect(Buffer.byteLength(name, 'utf8')).toBeLessThanOrEqual(63);
    const password = generatePassword(req);
    await admin.query(`DROP ROLE IF EXISTS ${q(name)}`);
    await admin.query(`CREATE ROLE ${q(name)} LOGIN PASSWORD ${pg.escapeLiteral(scramSha256Verifier(password))}`);
    current.set(name, password);
  }
});

afterAll(async () => {
  if (!admin) return;
  for (const name of [canary.name, ...current.keys()]) await admin.query(`DROP ROLE IF EXISTS ${q(name)}`);
  await admin.end();
});

describe('rendered ALTER ROLE with hostile role names', () => {
  it('the 63-byte names really are 63 bytes', () => {
    expect(HOSTILE.filter(([label]) => label.startsWith('exactly 63')).map(([, n]) => Buffer.byteLength(n, 'utf8'))).toEqual([63, 63]);
  });

  it.each(HOSTILE)('%s', async (_label, name) => {
    const before = await snapshot();
    const oldPassword = current.get(name)!;
    const newPassword = generatePassword(req);

    await admin.query(renderAlterRolePassword(name, scramSha256Verifier(newPassword)));
    current.set(name, newPassword);

    const after = await snapshot();
    expect(changedRoles(before.passwords, after.passwords)).toEqual([name]);
    expect([...after.passwords.keys()]).toEqual([...before.passwords.keys()]);
    expect(after.tables).toEqual(before.tables);
    expect(after.passwords.has(`pwned_${tag}`)).toBe(false);

    expect(await login(name, newPassword)).toBe(true);
    expect(await login(name, oldPassword)).toBe(false);
    expect(await login(canary.name, canary.password)).toBe(true);
  });

  it('a custom template in plaintext mode quotes a hostile password correctly', async () => {
    const name = HOSTILE[0]![1];
    // Quote, backslash (forces an E'' literal) and a placeholder-looking text in the password itself.
    const password = `p'w\\"{{username}};--` + generatePassword(req);
    const sql = renderRotationStatement("ALTER USER {{username}} WITH PASSWORD {{password}} VALID UNTIL 'infinity';", {
      username: name,
      password,
    });
    const before = await snapshot();
    // Keep this deliberate plaintext out of the server's statement log (the leak audit reads it).
    await admin.query("SET log_statement = 'none'");
    try {
      await admin.query("SET password_encryption = 'scram-sha-256'");
      await admin.query(sql);
    } finally {
      await admin.query('RESET log_statement');
    }
    const after = await snapshot();
    expect(changedRoles(before.passwords, after.passwords)).toEqual([name]);
    expect(after.passwords.get(name)).toMatch(/^SCRAM-SHA-256\$/);
    expect(await login(name, password)).toBe(true);
    current.set(name, password);
  });
});
