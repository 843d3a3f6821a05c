import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRotation, rotateRotation } from '../../src/service/rotations.js';
import { ServiceError } from '../../src/service/errors.js';
import { buildLoggedApi } from '../support/api.js';
import { rememberedPasswords, rememberPasswords } from '../support/passwords.js';
import { logsDir, openTestStack, type TestStack } from '../support/stack.js';

// DESIGN I3, run last (see vitest.config.ts): every password generated during the run is searched for in
// every Temporal history, the target server's statement log, the worker and API logs, every API error body
// (the API tests record them with test/support/api.ts) and the control database.
let stack: TestStack;
let passwords: string[] = [];
let roleNames: string[] = [];
const ROT = '/api/v2/secret-rotations/postgres-credentials';

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

  // The same two failures through the REST API: their error bodies and the server log are recorded in logsDir().
  const adminToken = randomBytes(32).toString('base64url');
  const api = await buildLoggedApi('api-leak-audit', { ctx: stack.ctx, adminToken });
  try {
    const headers = { authorization: `Bearer ${adminToken}` };
    // 422 (the login check fails again), or 409 should a rule refuse to rotate this soon: an error body either way.
    const rotate = await api.inject({ method: 'POST', url: `${ROT}/${created.id}/rotate-secrets`, headers });
    expect([409, 422], rotate.body).toContain(rotate.statusCode);
    const third = await stack.newTarget('leak3');
    const body = third.rotationBody({ parameters: { username1: third.roles[0], username2: third.roles[1], rotationStatement: statement } });
    const create = await api.inject({ method: 'POST', url: ROT, headers, payload: body });
    expect(create.statusCode).toBeGreaterThanOrEqual(400);
    expect(create.statusCode).toBeLessThan(500);
  } finally {
    await api.close();
  }
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
    console.log(`[leak-audit] ${passwords.length} generated passwords searched in ${workflows} workflow histories: ${found.length} hits`);
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
    console.log(`[leak-audit] target server log, ${log.length} bytes: ${hits(log, passwords).length} hits`);
    expect(hits(log, passwords)).toEqual([]); // …but never a plaintext password
  });

  it('no generated password in worker, API or test-process logs, nor in any API error body', () => {
    const files = readdirSync(logsDir()).map((f) => path.join(logsDir(), f));
    expect(files.length).toBeGreaterThan(0);
    // The API's log and error bodies are among them (this file's own API calls at least).
    const bodies = readFileSync(path.join(logsDir(), 'api-leak-audit-error-bodies.log'), 'utf8');
    expect(bodies).toMatch(/^POST \/api\/v2\/secret-rotations\/postgres-credentials\/:rotationId\/rotate-secrets (409|422) \{"statusCode"/m);
    expect(bodies).toMatch(/^POST \/api\/v2\/secret-rotations\/postgres-credentials 4\d\d \{.*not a time/m);
    expect(readFileSync(path.join(logsDir(), 'api-leak-audit.log'), 'utf8')).toMatch(/"msg":"request completed"/);
    const leaked = files.filter((f) => hits(readFileSync(f, 'utf8'), passwords).length > 0);
    console.log(`[leak-audit] ${files.length} log files (worker, API, API error bodies): ${leaked.length} with hits`);
    expect(leaked).toEqual([]);
  });

  it('no generated password in the control database outside encrypted columns', async () => {
    const tables = ['folders', 'connections', 'rotations', 'credentials', 'secrets', 'secret_versions', 'audit_events', 'webhook_deliveries', 'api_tokens', 'projects'];
    for (const table of tables) {
      const { rows } = await stack.ctx.db.pool.query(`SELECT row_to_json(t)::text AS row FROM ${pg.escapeIdentifier(table)} t`);
      const text = rows.map((r) => r.row as string).join('\n');
      expect({ table, hits: hits(text, passwords).length }).toEqual({ table, hits: 0 });
    }
  });
});
