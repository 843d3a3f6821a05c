// What a user finds afterwards, on the real stack (REST API, Temporal dev server, worker, PostgreSQL): who asked
// for a rotation (audit log), what a refused create leaves in Temporal (no FAILED workflow), how a rotation is
// named in the Temporal UI, and the wording of two edge errors (missing fields, wrong content type).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.js';
import { listAudit } from '../../src/store/audit.js';
import { rotationWorkflowId } from '../../src/workflows/rotation-messages.js';
import { rememberPasswords } from '../support/passwords.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROT = '/api/v2/secret-rotations/postgres-credentials';
const adminToken = randomBytes(32).toString('base64url');
let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApi>>;

beforeAll(async () => {
  stack = await openTestStack();
  await stack.startWorker('worker-trail');
  app = await buildApi({ ctx: stack.ctx, adminToken, authLimit: false });
});

afterAll(async () => {
  await app?.close();
  if (stack) await rememberPasswords(stack.ctx.db);
  await stack?.close();
});

async function call(method: 'GET' | 'POST', url: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: r.statusCode, body: JSON.parse(r.body) as Json };
}

async function create(target: TestTarget, overrides: Record<string, unknown> = {}) {
  const res = await call('POST', ROT, target.rotationBody({ isAutoRotationEnabled: false, ...overrides }));
  return res;
}

describe('the audit log names who asked for a rotation', () => {
  it('rotate-secrets and incident-rotate publish under the caller (admin-token), not under "rotation"', async () => {
    const target = await stack.newTarget('trail-actor');
    const created = await create(target);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const id = created.body.secretRotation.id as string;
    const published = async () => (await listAudit(stack.ctx.db.pool, { rotationId: id })).filter((e) => e.action === 'rotation.published');

    // The issue on create was nobody's request: the rotation itself publishes.
    expect((await published()).map((e) => e.actor)).toEqual(['rotation']);

    expect((await call('POST', `${ROT}/${id}/rotate-secrets`)).status).toBe(200);
    expect((await published())[0]).toMatchObject({ actor: 'admin-token', details: { slot: 1 } });

    expect((await call('POST', `${ROT}/${id}/incident-rotate`)).status).toBe(200);
    expect((await published())[0]).toMatchObject({ actor: 'admin-token', details: { slot: 0 } });
  });
});

describe('Temporal shows what a user looks for', () => {
  it('a create refused by the target check leaves a COMPLETED workflow (not FAILED) and the caller gets the error', async () => {
    const target = await stack.newTarget('trail-refused');
    const refused = await create(target, { parameters: { username1: target.roles[0], username2: 'no_such_role' } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body.message).toMatch(/role "no_such_role" does not exist.*\. To fix: CREATE ROLE "no_such_role" LOGIN;$/);
    // The fix travels as data too: the body's `fix` is the SQL, the blamed field's rule is the problem alone.
    expect(refused.body.fix).toBe('CREATE ROLE "no_such_role" LOGIN;');
    expect(refused.body.details).toEqual([
      { field: 'parameters.username2', rule: expect.stringMatching(/^role "no_such_role" does not exist on \S+$/), message: refused.body.message },
    ]);
    const events = await listAudit(stack.ctx.db.pool, { projectId: target.projectId });
    const rotationId = events.find((e) => e.action === 'rotation.created')?.rotationId;
    expect(rotationId).toBeTruthy();
    expect(events.find((e) => e.action === 'rotation.deleted')).toMatchObject({ rotationId, details: { reason: 'issue failed' } });
    const handle = stack.ctx.temporal.workflow.getHandle(rotationWorkflowId(rotationId!));
    expect(await handle.result()).toMatchObject({ ended: 'issue-failed' });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('each workflow carries a human summary (project, environment:folder, name, roles) and no password', async () => {
    const target = await stack.newTarget('trail-summary');
    const created = await create(target, { secretPath: '/apps/shop' });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const id = created.body.secretRotation.id as string;
    const description = await stack.ctx.temporal.workflow.getHandle(rotationWorkflowId(id)).describe();
    const summary = await description.staticSummary();
    const details = await description.staticDetails();
    const name = target.rotationBody().name as string;
    expect(summary).toContain(`dev:/apps/shop / ${name}`);
    expect(summary).toContain(`project-trail-summary-`);
    expect(summary).toContain(`${target.roles[0]}, ${target.roles[1]}`);
    expect(details).toContain(`**Roles** ${target.roles[0]}, ${target.roles[1]}`);
    const credentials = (await call('GET', `${ROT}/${id}/generated-credentials`)).body.generatedCredentials as { password: string }[];
    for (const text of [summary, details]) {
      expect(text).not.toContain(target.temporaryPassword);
      for (const c of credentials) expect(text).not.toContain(c.password);
    }
  });
});

describe('edge errors say what is expected', () => {
  it('an empty create body says every required field "is required" (projectId too, not "must be a UUID")', async () => {
    const res = await call('POST', ROT, {});
    expect(res.status).toBe(400);
    const byField = Object.fromEntries((res.body.details as { field: string; rule: string }[]).map((d) => [d.field, d.rule]));
    for (const field of ['name', 'projectId', 'connectionId', 'environment', 'rotationInterval', 'parameters', 'secretsMapping']) {
      expect(byField[field], field).toBe('is required');
    }
  });

  it('a body that is not JSON gets 415 naming application/json', async () => {
    const res = await call('POST', ROT, 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.body.message).toContain('application/json');
    expect(res.body.message).toContain('application/x-www-form-urlencoded');
  });
});
