import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRotation, rotateRotation } from '../../src/service/rotations.js';
import { ServiceError } from '../../src/service/errors.js';
import { buildLoggedApi } from '../support/api.js';
import { auditLeaks, describeAudit, filesIn, type AuditReport } from '../support/leak-audit.js';
import { storedPasswords } from '../support/leak-scan.js';
import { logsDir, openTestStack, type TestStack } from '../support/stack.js';

// Invariant I3, standing alone (it needs no other test file, and runs in any order): this file makes its own
// rotations — a success, a rotation whose login check fails, a create whose statement PostgreSQL rejects, and the
// same failures through the REST API — then searches every Temporal history, the target server's statement log,
// the worker and API logs, every API error body and the control database for each password they generated.
// The whole run's passwords are audited the same way by the global teardown (test/global-setup.ts).
let stack: TestStack;
const passwords = new Set<string>();
let roleNames: string[] = [];
let report: AuditReport;
const projectIds: string[] = [];
const ROT = '/api/v2/secret-rotations/postgres-credentials';
const API_NAME = 'api-leak-audit';

/** Adds what the control database holds for this file's projects now (a failed create may delete its rotation later). */
async function collect(): Promise<void> {
  for (const p of (await storedPasswords(stack.ctx.db, projectIds)).generated) passwords.add(p);
}

beforeAll(async () => {
  stack = await openTestStack();
  await stack.startWorker('worker-leak-audit');
  const statement = "ALTER ROLE {{username}} WITH PASSWORD {{password}} VALID UNTIL 'not a time'";

  // A success, then a failure in verifyLogin (the role may no longer connect).
  const target = await stack.newTarget('leak');
  projectIds.push(target.projectId);
  roleNames = [...target.roles];
  const created = await createRotation(stack.ctx, target.rotationInput(), 'test');
  await rotateRotation(stack.ctx, created.id, {}, 'test');
  await collect();
  const q = pg.escapeIdentifier;
  await stack.admin.query(`REVOKE CONNECT ON DATABASE ${q(target.database)} FROM PUBLIC, ${q(target.roles[0])}`);
  const verifyFailure = await rotateRotation(stack.ctx, created.id, {}, 'test').catch((e: unknown) => e);
  expect(verifyFailure).toBeInstanceOf(ServiceError);
  expect((verifyFailure as Error).message).toContain('GRANT CONNECT');
  await collect();

  // A failure in applyPassword: a statement PostgreSQL rejects (logged with its STATEMENT line).
  const other = await stack.newTarget('leak2');
  projectIds.push(other.projectId);
  const bad = await createRotation(stack.ctx, other.rotationInput({ parameters: { username1: other.roles[0], username2: other.roles[1], rotationStatement: statement } }), 'test').catch((e: unknown) => e);
  expect(bad).toBeInstanceOf(ServiceError);
  await collect();

  // The same two failures through the REST API: its log and error bodies are recorded in logsDir().
  const adminToken = randomBytes(32).toString('base64url');
  const api = await buildLoggedApi(API_NAME, { ctx: stack.ctx, adminToken });
  try {
    const headers = { authorization: `Bearer ${adminToken}` };
    // 422 (the login check fails again), or 409 should a rule refuse to rotate this soon: an error body either way.
    const rotate = await api.inject({ method: 'POST', url: `${ROT}/${created.id}/rotate-secrets`, headers });
    expect([409, 422], rotate.body).toContain(rotate.statusCode);
    const third = await stack.newTarget('leak3');
    projectIds.push(third.projectId);
    const body = third.rotationBody({ parameters: { username1: third.roles[0], username2: third.roles[1], rotationStatement: statement } });
    const create = await api.inject({ method: 'POST', url: ROT, headers, payload: body });
    expect(create.statusCode).toBeGreaterThanOrEqual(400);
    expect(create.statusCode).toBeLessThan(500);
  } finally {
    await api.close();
  }
  await collect();

  report = await auditLeaks(passwords, {
    temporal: stack.ctx.temporal,
    control: stack.ctx.db.pool,
    files: [inject('pgLogFile'), ...(await filesIn(logsDir()))],
    markers: roleNames,
  });
  console.log(describeAudit('this file', report));
});

afterAll(async () => {
  await stack?.close();
});

describe('leak audit (I3) of this file’s own rotations', () => {
  it('has generated passwords to look for', () => {
    expect(passwords.size).toBeGreaterThanOrEqual(4);
    for (const p of passwords) expect(p.length).toBeGreaterThanOrEqual(16);
  });

  it('read the Temporal histories’ payloads (the role names of the workflow input are found)', () => {
    expect(report.histories).toBeGreaterThan(0);
    expect(report.markersFound).toEqual(expect.arrayContaining(roleNames));
  });

  it('read the target server log, which recorded the verifiers and the rejected statement', () => {
    const file = inject('pgLogFile');
    expect(existsSync(file)).toBe(true);
    const log = readFileSync(file, 'utf8');
    expect(log).toContain('SCRAM-SHA-256$');
    expect(log).toMatch(/STATEMENT: {2}ALTER ROLE .* VALID UNTIL 'not a time'/);
  });

  it('read the API log and error bodies of this file’s API calls', () => {
    const bodies = readFileSync(path.join(logsDir(), `${API_NAME}-error-bodies.log`), 'utf8');
    expect(bodies).toMatch(/^POST \/api\/v2\/secret-rotations\/postgres-credentials\/:rotationId\/rotate-secrets (409|422) \{"statusCode"/m);
    expect(bodies).toMatch(/^POST \/api\/v2\/secret-rotations\/postgres-credentials 4\d\d \{.*not a time/m);
    expect(readFileSync(path.join(logsDir(), `${API_NAME}.log`), 'utf8')).toMatch(/"msg":"request completed"/);
    expect(report.missingFiles).toEqual([]);
    expect(report.files).toBeGreaterThanOrEqual(4); // server log, worker log, API log, API error bodies
  });

  it('read every table of the control database', () => {
    expect(report.tables).toBeGreaterThanOrEqual(10);
    expect(report.rows).toBeGreaterThan(0);
  });

  it('found no generated password anywhere (not plain, JSON-escaped nor hex-encoded)', () => {
    expect(report.hits).toEqual([]);
  });
});
