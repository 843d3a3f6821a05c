import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRotation, rotateRotation } from '../../src/service/rotations.js';
import { ServiceError } from '../../src/service/errors.js';
import { rememberedPasswords, rememberPasswords } from '../support/passwords.js';
import { logsDir, openTestStack, type TestStack } from '../support/stack.js';

// DESIGN I3, run last (see vitest.config.ts): every password generated during the run is searched for in
// every Temporal history, the target server's statement log, the worker logs and the control database.
let stack: TestStack;
let passwords: string[] = [];
let roleNames: string[] = [];

/** Every string in a value, with byte arrays (Temporal payloads) decoded as UTF-8. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

function hits(haystack: string, needles: string[]): string[] {
  return needles.filter((n) => haystack.includes(n));
}

beforeAll(async () => {
  stack = await openTestStack();
  await stack.startWorker('worker-leak-audit');
  // Its own rotations, so the audit has material even when run alone: a success, then failures in
  // applyPassword (a statement PostgreSQL rejects, logged with its STATEMENT line) and in verifyLogin.
  const target = await stack.newTarget('leak');
  roleNames = target.roles;
  const statement = "ALTER ROLE {{username}} WITH PASSWORD {{password}} VALID UNTIL 'not a time'";
  const created = await createRotation(stack.ctx, target.rotationBody(), 'test');
  await rotateRotation(stack.ctx, created.id);
  await rememberPasswords(stack.ctx.db);

  const q = pg.escapeIdentifier;
  await stack.admin.query(`REVOKE CONNECT ON DATABASE ${q(target.database)} FROM PUBLIC, ${q(target.roles[0])}`);
  const verifyFailure = await rotateRotation(stack.ctx, created.id).catch((e: unknown) => e);
  expect(verifyFailure).toBeInstanceOf(ServiceError);
  expect((verifyFailure as Error).message).toContain('GRANT CONNECT');
  await rememberPasswords(stack.ctx.db);

  const other = await stack.newTarget('leak2');
  const bad = await createRotation(stack.ctx, other.rotationBody({ parameters: { username1: other.roles[0], username2: other.roles[1], rotationStatement: statement } }), 'test').catch((e: unknown) => e);
  expect(bad).toBeInstanceOf(ServiceError);
  await rememberPasswords(stack.ctx.db);

  passwords = rememberedPasswords();
});

afterAll(async () => {
  await stack?.close();
});

describe('leak audit (I3)', () => {
  it('has generated passwords to look for', () => {
    expect(passwords.length).toBeGreaterThanOrEqual(4);
    for (const p of passwords) expect(p.length).toBeGreaterThanOrEqual(16);
  });

  it('no generated password in any Temporal history (inputs, results, failures, stack traces)', async () => {
    let workflows = 0;
    let sawRoleName = false;
    const found: string[] = [];
    for await (const wf of stack.ctx.temporal.workflow.list()) {
      workflows += 1;
      const history = await stack.ctx.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const text = strings(history).join('\n');
      sawRoleName ||= roleNames.some((r) => text.includes(r));
      found.push(...hits(text, passwords).map(() => `${wf.workflowId}/${wf.runId}`));
    }
    expect(workflows).toBeGreaterThan(0);
    expect(sawRoleName).toBe(true); // proves the scan reads payloads: role names are in the workflow input
    expect(found).toEqual([]);
  });

  it('no generated password in the target server log (log_statement=all), which did record the statements', () => {
    const file = inject('pgLogFile');
    expect(existsSync(file)).toBe(true);
    const log = readFileSync(file, 'utf8');
    expect(log).toContain('SCRAM-SHA-256$'); // the verifiers were sent and logged…
    expect(log).toMatch(/STATEMENT: {2}ALTER ROLE .* VALID UNTIL 'not a time'/); // …including the failed statement
    expect(hits(log, passwords)).toEqual([]); // …but never a plaintext password
  });

  it('no generated password in worker or test-process logs', () => {
    const files = readdirSync(logsDir()).map((f) => path.join(logsDir(), f));
    expect(files.length).toBeGreaterThan(0);
    const leaked = files.filter((f) => hits(readFileSync(f, 'utf8'), passwords).length > 0);
    expect(leaked).toEqual([]);
  });

  it('no generated password in the control database outside encrypted columns', async () => {
    const tables = ['folders', 'connections', 'rotations', 'credentials', 'secrets', 'secret_versions', 'audit_events'];
    for (const table of tables) {
      const { rows } = await stack.ctx.db.pool.query(`SELECT row_to_json(t)::text AS row FROM ${pg.escapeIdentifier(table)} t`);
      const text = rows.map((r) => r.row as string).join('\n');
      expect({ table, hits: hits(text, passwords).length }).toEqual({ table, hits: 0 });
    }
  });
});
