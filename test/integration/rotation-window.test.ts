// rotationWindowMinutes on the real stack (Temporal dev server, a real worker, control and target databases),
// through the REST API: the workflow's nextRotationAt is the spread instant the schedule rule computes for the
// rotation's id, a PATCH of the window moves it, and a bad window is refused naming the field, changing nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeNextRotationAt, DAY_MS, MINUTE_MS } from '../../src/domain/schedule.js';
import { deleteRotation } from '../../src/service/rotations.js';
import { buildLoggedApi } from '../support/api.js';
import { rememberPasswords } from '../support/passwords.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROT = '/api/v2/secret-rotations/postgres-credentials';
const adminToken = randomBytes(32).toString('base64url');

let stack: TestStack;
let app: Awaited<ReturnType<typeof buildLoggedApi>>;
let target: TestTarget;
const cleanup: string[] = [];

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await app.inject({ method, url, headers, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}

function ok(res: { status: number; body: Json }): Json {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** The instant the schedule rule gives for this view (the rotation has not failed and was never rotated by the schedule). */
function expectedNext(view: Json): string {
  const next = computeNextRotationAt({
    rotationId: view.id,
    isAutoRotationEnabled: view.isAutoRotationEnabled,
    rotationInterval: view.rotationInterval,
    rotateAtUtc: view.rotateAtUtc,
    rotationWindowMinutes: view.rotationWindowMinutes,
    lastRotatedAt: Date.parse(view.lastRotatedAt),
    createdAt: Date.parse(view.createdAt),
    lastFailedAt: null,
  });
  return new Date(next!).toISOString();
}

const timeOfDay = (isoString: string) => Date.parse(isoString) % DAY_MS;

beforeAll(async () => {
  stack = await openTestStack();
  await stack.startWorker('worker-rotation-window');
  app = await buildLoggedApi('api-rotation-window', { ctx: stack.ctx, adminToken });
  target = await stack.newTarget('window');
});

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db).catch(() => {});
  for (const id of cleanup) await deleteRotation(stack.ctx, id, { deleteSecrets: true, revokeGeneratedCredentials: true }, 'test').catch(() => {});
  await app?.close();
  await stack?.close();
});

describe('rotation window (API)', () => {
  // 23:30 + 60 minutes: the window crosses midnight.
  const rotateAtUtc = { hours: 23, minutes: 30 };
  const rotateAtMs = (23 * 60 + 30) * MINUTE_MS;
  let id = '';
  let created: Json;

  it('create: nextRotationAt is the spread instant computed for the rotation id, inside the window; shown on get and list', async () => {
    created = ok(await call('POST', ROT, target.rotationBody({ rotationInterval: 1, rotateAtUtc, rotationWindowMinutes: 60 }))).secretRotation;
    id = created.id;
    cleanup.push(id);
    expect(created).toMatchObject({ rotationWindowMinutes: 60, rotationStatus: 'success', activeIndex: 0 });
    expect(created.nextRotationAt).toBe(expectedNext(created));
    const offset = (timeOfDay(created.nextRotationAt) - rotateAtMs + DAY_MS) % DAY_MS;
    expect(offset).toBeLessThan(60 * MINUTE_MS);
    expect(offset % 1000).toBe(0);
    // The interval has passed, and at most one day more.
    const from = Date.parse(created.lastRotatedAt) + DAY_MS;
    expect(Date.parse(created.nextRotationAt)).toBeGreaterThanOrEqual(from);
    expect(Date.parse(created.nextRotationAt) - from).toBeLessThan(DAY_MS);

    expect(ok(await call('GET', `${ROT}/${id}`)).secretRotation).toMatchObject({ rotationWindowMinutes: 60, nextRotationAt: created.nextRotationAt });
    const listed = (ok(await call('GET', `${ROT}?projectId=${target.projectId}`)).secretRotations as Json[]).find((r) => r.id === id);
    expect(listed).toMatchObject({ rotationWindowMinutes: 60, nextRotationAt: created.nextRotationAt });
  });

  it('PATCH of the window moves nextRotationAt to the instant computed for the new window; 0 puts it back on rotateAtUtc', async () => {
    const widened = ok(await call('PATCH', `${ROT}/${id}`, { rotationWindowMinutes: 1440 })).secretRotation;
    expect(widened.rotationWindowMinutes).toBe(1440);
    expect(widened.nextRotationAt).toBe(expectedNext(widened));
    // Differs unless the id's offset rounds to 0 s in both windows (a chance of 1 in 86,400).
    expect(widened.nextRotationAt).not.toBe(created.nextRotationAt);
    expect(ok(await call('GET', `${ROT}/${id}`)).secretRotation.nextRotationAt).toBe(widened.nextRotationAt);

    const plain = ok(await call('PATCH', `${ROT}/${id}`, { rotationWindowMinutes: 0 })).secretRotation;
    expect(plain.nextRotationAt).toBe(expectedNext(plain));
    expect(timeOfDay(plain.nextRotationAt)).toBe(rotateAtMs); // exactly 23:30:00.000, as without a window

    // Changing another field keeps the window and recomputes with it.
    ok(await call('PATCH', `${ROT}/${id}`, { rotationWindowMinutes: 60 }));
    const later = ok(await call('PATCH', `${ROT}/${id}`, { rotateAtUtc: { hours: 4, minutes: 0 } })).secretRotation;
    expect(later).toMatchObject({ rotationWindowMinutes: 60, rotateAtUtc: { hours: 4, minutes: 0 } });
    expect(later.nextRotationAt).toBe(expectedNext(later));
  });

  it('a bad window is refused naming the field and the rule, and changes nothing', async () => {
    const before = ok(await call('GET', `${ROT}/${id}`)).secretRotation;
    for (const [value, rule] of [
      [1441, 'rotationWindowMinutes must be at most 1440 minutes (24 hours)'],
      [-1, 'rotationWindowMinutes must be an integer number of minutes from 0 to 1440 (24 hours)'],
      [2.5, 'rotationWindowMinutes must be an integer number of minutes from 0 to 1440 (24 hours)'],
      ['30', 'rotationWindowMinutes must be an integer number of minutes from 0 to 1440 (24 hours)'],
    ] as const) {
      const patched = await call('PATCH', `${ROT}/${id}`, { rotationWindowMinutes: value });
      expect(patched.status).toBe(400);
      expect(patched.body.message).toContain(rule);
      expect(patched.body.details.map((d: Json) => d.field)).toEqual(['rotationWindowMinutes']);

      const posted = await call('POST', ROT, target.rotationBody({ name: `bad-window-${cleanup.length}`, rotationWindowMinutes: value }));
      expect(posted.status).toBe(400);
      expect(posted.body.message).toContain(rule);
    }
    const after = ok(await call('GET', `${ROT}/${id}`)).secretRotation;
    expect(after).toMatchObject({ rotationWindowMinutes: before.rotationWindowMinutes, nextRotationAt: before.nextRotationAt, updatedAt: before.updatedAt });
    expect((ok(await call('GET', `${ROT}?projectId=${target.projectId}`)).secretRotations as Json[]).map((r) => r.id)).toEqual([id]);
  });

  it('OpenAPI documents the field on create, PATCH and the response, with its range', async () => {
    const doc = JSON.stringify(ok(await call('GET', '/openapi.json')));
    const mentions = doc.split('"rotationWindowMinutes":').length - 1;
    expect(mentions).toBeGreaterThanOrEqual(3);
    expect(doc).toMatch(/"rotationWindowMinutes":\{[^}]*"maximum":1440/);
  });
});
