// PostgreSQL (scram-sha-256 auth over TCP) accepts a login with the password behind a verifier we computed,
// stores that verifier unchanged, and rejects any other password.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generatePassword } from '../../src/domain/password.js';
import { passwordRequirementsSchema } from '../../src/domain/rotation-schemas.js';
import { scramSha256Verifier } from '../../src/domain/scram.js';
import { renderAlterRolePassword } from '../../src/domain/sql.js';
import { adminDatabase, canLogin } from '../support/stack.js';

const adminUrl = new URL(inject('adminDatabaseUrl'));
const role = `scram_login_${randomBytes(4).toString('hex')}`;
let admin: pg.Client;

/** Logs in to the admin URL's database: true on success, false on authentication failure (28P01). */
const login = (user: string, password: string) => canLogin(adminDatabase(), user, password);

beforeAll(async () => {
  admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  const method = await admin.query<{ password_encryption: string }>('SHOW password_encryption');
  expect(method.rows[0]?.password_encryption).toBe('scram-sha-256');
  await admin.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN`);
});

afterAll(async () => {
  await admin?.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
  await admin?.end();
});

const req = (r: unknown) => passwordRequirementsSchema.parse(r);

describe('SCRAM-SHA-256 verifier login', () => {
  it.each([
    ['default requirements', () => generatePassword(req({}))],
    ['length 1', () => generatePassword(req({ length: 1, required: { digits: 0, lowercase: 1, uppercase: 0 } }))],
    ['length 250', () => generatePassword(req({ length: 250 }))],
    ['quotes, backslash and other symbols', () => generatePassword(req({ length: 40, required: { symbols: 20 }, allowedSymbols: `'"\\$;{}%&()+,/:<=>?@[]^\`|` }))],
    ['printable ASCII with spaces', () => `a b'c\\d"{} ~`],
  ])('%s', async (_name, make) => {
    const password = make();
    const verifier = scramSha256Verifier(password);
    await admin.query(renderAlterRolePassword(role, verifier));

    // Stored verbatim: had the format been wrong, the server would have hashed the string as a plaintext.
    const stored = await admin.query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
    expect(stored.rows[0]?.rolpassword).toBe(verifier);

    expect(await login(role, password)).toBe(true);
    expect(await login(role, password + 'x')).toBe(false);
    expect(await login(role, verifier)).toBe(false); // the verifier itself is not a password
  });

  it.each([[1], [4096], [10_000]])('iterations = %i', async (iterations) => {
    const password = generatePassword(req({ length: 24 }));
    await admin.query(renderAlterRolePassword(role, scramSha256Verifier(password, { iterations })));
    expect(await login(role, password)).toBe(true);
    expect(await login(role, generatePassword(req({ length: 24 })))).toBe(false);
  });
});
