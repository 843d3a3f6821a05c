import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '../../src/notify/webhook-signature.js';
import { ServiceError } from '../../src/service/errors.js';
import { createRotation, rotateRotation } from '../../src/service/rotations.js';
import { listAudit } from '../../src/store/audit.js';
import { runCli } from '../support/cli.js';
import { rememberPasswords } from '../support/passwords.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

// Failure alerts: a webhook on rotation failed and on recovered, signed with HMAC-SHA256, retried with backoff.
const SECRET = 'webhook-test-secret-0123456789abcdef';
const ADMIN_TOKEN = 'audit-test-admin-token-0123456789abcdef';
let stack: TestStack;
let target: TestTarget;
let receiver: Server;
const received: { headers: IncomingHttpHeaders; body: string; answered: number }[] = [];
let failNext = 1; // the first delivery gets a 500, so the retry path is exercised

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const answered = failNext-- > 0 ? 500 : 204;
      received.push({ headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  stack = await openTestStack();
  await stack.startWorker('worker-webhooks', { ROTATOR_WEBHOOK_URL: url, ROTATOR_WEBHOOK_SECRET: SECRET, ROTATOR_WEBHOOK_RETRY_BASE_MS: '200' });
  target = await stack.newTarget('hooks');
});

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db);
  await stack?.close();
  await new Promise((r) => receiver?.close(r));
});

const delivered = (event: string) => received.filter((r) => r.answered < 300 && JSON.parse(r.body).event === event);

it('a failed rotation sends a signed rotation.failed webhook (retried after a 500); the next success sends rotation.recovered', async () => {
  const created = await createRotation(stack.ctx, target.rotationInput(), 'test');
  const q = pg.escapeIdentifier;
  await stack.admin.query(`REVOKE CONNECT ON DATABASE ${q(target.database)} FROM PUBLIC, ${q(target.roles[1])}`);
  const failure = await rotateRotation(stack.ctx, created.id, {}, 'test').catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ServiceError);

  await expect.poll(() => delivered('rotation.failed').length, { timeout: 15_000, interval: 100 }).toBe(1);
  const attempts = received.filter((r) => JSON.parse(r.body).event === 'rotation.failed');
  expect(attempts.map((a) => a.answered)).toEqual([500, 204]); // retried after the 500
  const hook = delivered('rotation.failed')[0]!;
  const timestamp = String(hook.headers[TIMESTAMP_HEADER]);
  expect(verifyWebhook(SECRET, timestamp, hook.body, String(hook.headers[SIGNATURE_HEADER]))).toBe(true);
  expect(verifyWebhook('another-secret-0123456789abcdef', timestamp, hook.body, String(hook.headers[SIGNATURE_HEADER]))).toBe(false);
  const payload = JSON.parse(hook.body);
  expect(payload).toMatchObject({ event: 'rotation.failed', rotationId: created.id, projectId: target.projectId, rotationStatus: 'failed', activeIndex: 0 });
  expect(payload.lastRotationMessage).toContain('GRANT CONNECT');

  await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(target.database)} TO ${q(target.roles[1])}`);
  const recovered = await rotateRotation(stack.ctx, created.id, {}, 'test');
  expect(recovered.rotationStatus).toBe('success');
  await expect.poll(() => delivered('rotation.recovered').length, { timeout: 15_000, interval: 100 }).toBe(1);
  expect(JSON.parse(delivered('rotation.recovered')[0]!.body)).toMatchObject({ rotationId: created.id, rotationStatus: 'success', activeIndex: 1 });

  // Both are audit events too, and the outbox shows the retry.
  const actions = (await listAudit(stack.ctx.db.pool, { rotationId: created.id })).map((a) => a.action);
  expect(actions).toEqual(expect.arrayContaining(['rotation.failed', 'rotation.recovered', 'rotation.published']));
  const { rows } = await stack.ctx.db.pool.query(
    'SELECT event, attempts, delivered_at IS NOT NULL AS delivered FROM webhook_deliveries WHERE rotation_id = $1 ORDER BY id',
    [created.id],
  );
  expect(rows).toEqual([
    { event: 'rotation.failed', attempts: 2, delivered: true },
    { event: 'rotation.recovered', attempts: 1, delivered: true },
  ]);
  // …readable through the API, newest first.
  const api = await buildApi({ ctx: stack.ctx, adminToken: ADMIN_TOKEN });
  try {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const res = await api.inject({ url: `/api/v1/audit-events?projectId=${target.projectId}&rotationId=${created.id}`, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    const events = res.json().auditEvents as { action: string; id: number }[];
    expect(events.map((e) => e.action).slice(0, 2)).toEqual(['rotation.recovered', 'rotation.published']);
    expect([...events].sort((a, b) => b.id - a.id)).toEqual(events);
    const bad = await api.inject({ url: `/api/v1/audit-events?projectId=${target.projectId}&limit=0`, headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].field).toBe('limit');
    expect((await api.inject({ url: `/api/v1/audit-events?projectId=${target.projectId}` })).statusCode).toBe(401);
  } finally {
    await api.close();
  }

  // …and through the CLI.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-audit-'));
  const cli = await runCli(['audit', 'list', '--project', target.projectId, '--rotation', created.id, '--limit', '3', '--json'], { dataDir });
  expect(cli.code, cli.stderr).toBe(0);
  expect((JSON.parse(cli.stdout) as { action: string }[]).map((e) => e.action)).toEqual(['rotation.recovered', 'rotation.published', 'rotation.failed']);
  const badLimit = await runCli(['audit', 'list', '--project', target.projectId, '--limit', 'many'], { dataDir });
  expect(badLimit.code).toBe(2);
  expect(badLimit.stderr).toContain('limit');
  await rm(dataDir, { recursive: true, force: true });

  // No password in any delivery.
  const passwords = await rememberPasswords(stack.ctx.db);
  for (const r of received) for (const p of passwords) expect(r.body).not.toContain(p);
});
