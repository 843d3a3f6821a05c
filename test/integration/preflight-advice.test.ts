// Defect: for `--username1 postgres` the preflight advised `ALTER ROLE "postgres" NOSUPERUSER;`, which would
// cripple whatever administers the database with it. Advice must never weaken (or grant, or open a login to) an
// administrator role: it names a dedicated login role and the statements that make one, and those statements work.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/domain/errors.js';
import { readConnectionPassword } from '../../src/store/connections.js';
import { type AdminAccess, classifyAdminError } from '../../src/target/admin.js';
import { preflight } from '../../src/target/preflight.js';
import { TargetSessions } from '../../src/target/sessions.js';
import { DEFAULT_TARGET_LIMITS } from '../../src/target/settings.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

const q = pg.escapeIdentifier;
const sessions = new TargetSessions(DEFAULT_TARGET_LIMITS);
let stack: TestStack;
let target: TestTarget;
let access: AdminAccess;
const id = randomBytes(3).toString('hex');
const privileged = {
  createroleNologin: `group_createrole_${id}`,
  bypassrlsNologin: `group_bypassrls_${id}`,
  replication: `replicator_${id}`,
  plainNologin: `plain_nologin_${id}`,
};
const dedicated = ['app_login_1', 'app_login_2'];

beforeAll(async () => {
  stack = await openTestStack();
  target = await stack.newTarget('advice');
  access = { connection: target.connection, password: await readConnectionPassword(stack.ctx.db.pool, stack.ctx.db.box, target.connection.id) };
  await stack.admin.query(`CREATE ROLE ${q(privileged.createroleNologin)} NOLOGIN CREATEROLE`);
  await stack.admin.query(`CREATE ROLE ${q(privileged.bypassrlsNologin)} NOLOGIN BYPASSRLS`);
  await stack.admin.query(`CREATE ROLE ${q(privileged.replication)} LOGIN REPLICATION`);
  await stack.admin.query(`CREATE ROLE ${q(privileged.plainNologin)} NOLOGIN`);
});

afterAll(async () => {
  const roles = [...Object.values(privileged), ...dedicated].map(q).join(', ');
  await stack?.admin.query(`DROP OWNED BY ${roles}`).catch(() => {});
  await stack?.admin.query(`DROP ROLE IF EXISTS ${roles}`).catch(() => {});
  await stack?.close();
});

async function refusal(roles: [string, string]): Promise<ConfigurationError> {
  const err = await preflight(sessions, access, roles).then(
    () => expect.fail(`preflight accepted ${roles.join(', ')}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigurationError);
  return err as ConfigurationError;
}

/** Nothing in the advice weakens, grants or opens a login to the named role. */
function expectSafe(fix: string, role: string): void {
  expect(fix).not.toMatch(/\bNO(SUPERUSER|CREATEROLE|REPLICATION|BYPASSRLS)\b/i);
  expect(fix).not.toContain(`ALTER ROLE ${q(role)}`);
  expect(fix).not.toContain(`GRANT ${q(role)} TO`);
}

describe('preflight advice never weakens an administrator role', () => {
  // [label, roles, blamed slot, code]
  const cases: [string, () => [string, string], 1 | 2, string][] = [
    ['the superuser postgres as username1', () => ['postgres', target.roles[1]], 1, 'SUPERUSER_ROLE'],
    ["the admin connection's own role as username2", () => [target.roles[0], target.adminRole], 2, 'ADMIN_ROLE'],
    ['a NOLOGIN group role with CREATEROLE', () => [target.roles[0], privileged.createroleNologin], 2, 'ROLE_CANNOT_LOGIN'],
    ['a NOLOGIN group role with BYPASSRLS', () => [privileged.bypassrlsNologin, target.roles[1]], 1, 'ROLE_CANNOT_LOGIN'],
    ['a REPLICATION role the admin cannot reach', () => [target.roles[0], privileged.replication], 2, 'PERMISSION_DENIED'],
  ];

  it.each(cases)('%s → a dedicated login role, with the statements to make it', async (_label, roles, slot, code) => {
    const named = roles()[slot - 1]!;
    const err = await refusal(roles());
    const field = `parameters.username${slot}`;
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    expect(err.message).toContain(q(named)); // the field travels in the details, the message names the role
    expectSafe(err.fix!, named);
    expect(err.fix).toContain(`use a dedicated login role without SUPERUSER, CREATEROLE, REPLICATION or BYPASSRLS for ${field}`);
    expect(err.fix).toContain(`CREATE ROLE "app_login_${slot}" LOGIN;`);
    expect(err.fix).toContain(`GRANT CONNECT ON DATABASE ${q(target.database)} TO "app_login_${slot}";`);
    expect(err.fix).not.toMatch(/PASSWORD\s+'/); // no password, not even a placeholder
  });

  it('an ordinary NOLOGIN role is still told to log in (nothing privileged is opened)', async () => {
    const err = await refusal([target.roles[0], privileged.plainNologin]);
    expect(err.code).toBe('ROLE_CANNOT_LOGIN');
    expect(err.fix).toBe(`ALTER ROLE ${q(privileged.plainNologin)} LOGIN;`);
  });

  it('the advised statements work: once run, the dedicated roles pass the preflight', async () => {
    const fixes = [await refusal(['postgres', target.roles[1]]), await refusal([target.roles[0], target.adminRole])].map((e) => e.fix!);
    for (const fix of fixes) {
      const statements = /e\.g\. (.*) then grant/.exec(fix)![1]!;
      await stack.admin.query(statements);
    }
    await expect(preflight(sessions, access, ['app_login_1', 'app_login_2'])).resolves.toMatchObject({ roles: dedicated });
  });

  it('a permission refusal at apply time only advises the GRANT for an ordinary role, never blindly', () => {
    let err: unknown;
    try {
      classifyAdminError(Object.assign(new Error('permission denied'), { code: '42501' }), target.connection, 'postgres');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    const fix = (err as ConfigurationError).fix!;
    expect(fix).toMatch(/^if "postgres" is an ordinary application role \(no SUPERUSER, CREATEROLE, REPLICATION or BYPASSRLS\): GRANT/);
    expect(fix).toContain('otherwise rotate a dedicated login role without those attributes instead');
    expect(fix).not.toMatch(/\bNO(SUPERUSER|CREATEROLE|REPLICATION|BYPASSRLS)\b/);
  });
});
