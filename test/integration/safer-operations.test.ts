// "Safer operations" on the real stack (Temporal dev server, a real worker, control database, target databases),
// through the REST API and the CLI: the minimum overlap (a refused rotation changes nothing), the incident
// rotation (both roles get new passwords, the mapped pair always logs in) and the drift check (a password changed
// behind the system's back is found, and the rotation it advises repairs it).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApi } from '../../src/api/server.js';
import { deleteRotation } from '../../src/service/rotations.js';
import { createToken } from '../../src/service/tokens.js';
import { rotationWorkflowId } from '../../src/workflows/rotation-messages.js';
import { runCli as runCliIn, type CliResult } from '../support/cli.js';
import { rememberPasswords } from '../support/passwords.js';
import { canLogin, openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type App = Awaited<ReturnType<typeof buildApi>>;

const ROT = '/api/v2/secret-rotations/postgres-credentials';
const SECRETS = '/api/v3/secrets/raw';

let stack: TestStack;
let app: App;
let dataDir = '';
const adminToken = randomBytes(32).toString('base64url');
const cleanup: string[] = [];

interface Res {
  status: number;
  body: Json;
}

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, opts: { body?: unknown; token?: string; headers?: Record<string, string>; payload?: string } = {}): Promise<Res> {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? adminToken}`, ...opts.headers };
  let payload = opts.payload;
  if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const r = await app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
  return { status: r.statusCode, body: r.body === '' ? {} : (JSON.parse(r.body) as Json) };
}

const ok = (res: Res): Json => {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

function expectError(res: Res, status: number, field?: string): Json {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
  if (field !== undefined) expect((res.body.details ?? []).map((d: Json) => d.field), res.body.message).toContain(field);
  return res.body;
}

const runCli = (args: string[]): Promise<CliResult> => runCliIn(args, { dataDir });

function okJson<T = Json>(r: CliResult): T {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

async function createVia(target: TestTarget, overrides: Json = {}): Promise<Json> {
  const created = ok(await call('POST', ROT, { body: target.rotationBody(overrides) })).secretRotation;
  cleanup.push(created.id);
  return created;
}

const creds = async (id: string): Promise<{ username: string; password: string }[]> =>
  ok(await call('GET', `${ROT}/${id}/generated-credentials`)).generatedCredentials;

/** The latest mapped secrets: { username, password, version } (the password secret's version). */
async function mapped(t: TestTarget): Promise<{ username: string; password: string; version: number }> {
  const list = ok(await call('GET', `${SECRETS}?projectId=${t.projectId}&environment=dev`)).secrets as Json[];
  const user = list.find((s) => s.secretKey === 'POSTGRES_DB_USERNAME')!;
  const pass = list.find((s) => s.secretKey === 'POSTGRES_DB_PASSWORD')!;
  expect(user.version).toBe(pass.version); // I4: they change together
  return { username: user.secretValue, password: pass.secretValue, version: pass.version };
}

async function credentialRows(rotationId: string): Promise<Json[]> {
  const { rows } = await stack.ctx.db.pool.query('SELECT slot, generation, status, password_enc FROM credentials WHERE rotation_id = $1 ORDER BY slot, generation', [rotationId]);
  return rows.map((r) => ({ ...r, password_enc: Buffer.from(r.password_enc).toString('base64') }));
}

async function audit(rotationId: string, action: string): Promise<Json[]> {
  const { rows } = await stack.ctx.db.pool.query('SELECT actor, details FROM audit_events WHERE rotation_id = $1 AND action = $2 ORDER BY id', [rotationId, action]);
  return rows;
}

/** Update events (accepted or completed) recorded at or after `since` in the given runs of the rotation's workflow. */
async function updateEventsSince(rotationId: string, runIds: string[], since: number): Promise<number> {
  let n = 0;
  for (const runId of new Set(runIds)) {
    const history = await stack.ctx.temporal.workflow.getHandle(rotationWorkflowId(rotationId), runId).fetchHistory();
    for (const e of history.events ?? []) {
      const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      if (at >= since && (e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes)) n += 1;
    }
  }
  return n;
}

const runIdOf = async (rotationId: string) => (await stack.ctx.temporal.workflow.getHandle(rotationWorkflowId(rotationId)).describe()).runId;

/** Changes a role's password behind the system's back, as a DBA would (the superuser connection). */
async function changeBehindTheBack(role: string): Promise<void> {
  await stack.admin.query(`ALTER ROLE ${pg.escapeIdentifier(role)} PASSWORD ${pg.escapeLiteral(`outside-${randomBytes(6).toString('hex')}`)}`);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-safer-'));
  stack = await openTestStack();
  await stack.startWorker('worker-safer-operations');
  app = await buildApi({ ctx: stack.ctx, adminToken });
});

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db).catch(() => {});
  for (const id of cleanup) await deleteRotation(stack.ctx, id, { deleteSecrets: true, revokeGeneratedCredentials: true }, 'test').catch(() => {});
  await app?.close();
  await stack?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('minimum overlap (API)', () => {
  let t: TestTarget;
  let rotationId = '';

  beforeAll(async () => {
    t = await stack.newTarget('overlap');
  });

  it('validated on create and PATCH (integer 0 … 30 days, at most the interval), shown in every rotation response', async () => {
    for (const [value, rule] of [
      [-1, 'must be an integer number of seconds from 0 to 2592000'],
      [1.5, 'must be an integer number of seconds'],
      ['3600', 'must be an integer number of seconds'],
      [2_592_001, 'must be at most 2592000 seconds (30 days)'],
    ] as const) {
      const body = expectError(await call('POST', ROT, { body: t.rotationBody({ minimumOverlapSeconds: value }) }), 400, 'minimumOverlapSeconds');
      expect(body.message).toContain(rule);
    }
    const tooLong = expectError(await call('POST', ROT, { body: t.rotationBody({ rotationInterval: 1, minimumOverlapSeconds: 86_401 }) }), 400, 'minimumOverlapSeconds');
    expect(tooLong.message).toContain('minimumOverlapSeconds must be at most rotationInterval (1 day = 86400 seconds), got 86401');
    expect(ok(await call('GET', `${ROT}?projectId=${t.projectId}`)).secretRotations).toEqual([]); // nothing was created

    const created = await createVia(t, { minimumOverlapSeconds: 3600 });
    rotationId = created.id;
    expect(created).toMatchObject({ minimumOverlapSeconds: 3600, activeIndex: 0, rotationStatus: 'success' });
    expect(ok(await call('GET', `${ROT}/${rotationId}`)).secretRotation.minimumOverlapSeconds).toBe(3600);
    expect(ok(await call('GET', `${ROT}?projectId=${t.projectId}`)).secretRotations[0].minimumOverlapSeconds).toBe(3600);

    expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: { minimumOverlapSeconds: 2_592_001 } }), 400, 'minimumOverlapSeconds');
    expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: { rotationInterval: 1, minimumOverlapSeconds: 86_401 } }), 400, 'minimumOverlapSeconds');
    expect(ok(await call('PATCH', `${ROT}/${rotationId}`, { body: { minimumOverlapSeconds: 90_000 } })).secretRotation.minimumOverlapSeconds).toBe(90_000);
    const shorter = expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: { rotationInterval: 1 } }), 400, 'rotationInterval');
    expect(shorter.message).toContain('rotationInterval must be at least minimumOverlapSeconds (90000 seconds)');
    expect(ok(await call('PATCH', `${ROT}/${rotationId}`, { body: { minimumOverlapSeconds: 3600 } })).secretRotation).toMatchObject({ minimumOverlapSeconds: 3600, rotationInterval: 30 });

    // Without it: 0, as in Infisical.
    const other = await stack.newTarget('overlap-default');
    expect((await createVia(other)).minimumOverlapSeconds).toBe(0);
  });

  it('rotate-secrets within the overlap: 409 saying from when it is allowed, and nothing changes; force rotates', async () => {
    // Right after create the inactive role's password was never published: nobody can hold it, no wait.
    const first = ok(await call('POST', `${ROT}/${rotationId}/rotate-secrets`)).secretRotation;
    expect(first.activeIndex).toBe(1);
    const allowedAt = new Date(Date.parse(first.lastRotatedAt) + 3600_000).toISOString();

    const runBefore = await runIdOf(rotationId);
    const since = Date.now();
    const view = ok(await call('GET', `${ROT}/${rotationId}`)).secretRotation;
    const secrets = await mapped(t);
    const stored = await credentialRows(rotationId);
    const both = await creds(rotationId);
    const published = (await audit(rotationId, 'rotation.published')).length;

    for (const opts of [{}, { body: {} }, { body: { force: false } }, { payload: '', headers: { 'content-type': 'application/json' } }]) {
      const refused = expectError(await call('POST', `${ROT}/${rotationId}/rotate-secrets`, opts), 409, 'force');
      expect(refused.message).toContain(`Allowed from ${allowedAt} on`);
      expect(refused.message).toContain(`"${t.roles[0]}" (slot 0)`);
      expect(refused.message).toContain(`which was the active credential until ${first.lastRotatedAt}`);
      expect(refused.details).toEqual([{ field: 'force', rule: `must be true to rotate before ${allowedAt} (minimumOverlapSeconds 3600)`, message: `force must be true to rotate before ${allowedAt} (minimumOverlapSeconds 3600)` }]);
    }
    expectError(await call('POST', `${ROT}/${rotationId}/rotate-secrets`, { body: { force: 'yes' } }), 400, 'force');
    expectError(await call('POST', `${ROT}/${rotationId}/rotate-secrets`, { body: { forced: true } }), 400, 'forced');

    // Nothing changed: the rotation, the secret versions, the stored credentials (and they still log in), the
    // audit trail, and the workflow history has no update for any of the refused requests.
    const { updatedAt: _u, rotationInProgress: _p, ...same } = ok(await call('GET', `${ROT}/${rotationId}`)).secretRotation;
    const { updatedAt: _u2, rotationInProgress: _p2, ...expected } = view;
    expect(same).toEqual(expected);
    expect(await mapped(t)).toEqual(secrets);
    expect(await credentialRows(rotationId)).toEqual(stored);
    for (const c of both) expect(await canLogin(t.database, c.username, c.password)).toBe(true);
    expect((await audit(rotationId, 'rotation.published')).length).toBe(published);
    expect(await updateEventsSince(rotationId, [runBefore, await runIdOf(rotationId)], since)).toBe(0);

    // force: rotates now; the overwritten credential (slot 0's, published until the last rotation) stops working.
    const forced = ok(await call('POST', `${ROT}/${rotationId}/rotate-secrets`, { body: { force: true } })).secretRotation;
    expect(forced.activeIndex).toBe(0);
    const after = await mapped(t);
    expect(after.version).toBe(secrets.version + 1);
    expect(await canLogin(t.database, after.username, after.password)).toBe(true);
    expect(await canLogin(t.database, both[0]!.username, both[0]!.password)).toBe(false);
    expect(await canLogin(t.database, both[1]!.username, both[1]!.password)).toBe(true);
  });
});

describe('incident rotation (API)', () => {
  it('both roles get new passwords, the mapped pair logs in, the answer warns, audited; not held back by the overlap', async () => {
    const t = await stack.newTarget('incident');
    const created = await createVia(t, { minimumOverlapSeconds: 3600 });
    ok(await call('POST', `${ROT}/${created.id}/rotate-secrets`)); // slot 1 active, slot 0 retired just now
    expectError(await call('POST', `${ROT}/${created.id}/rotate-secrets`), 409, 'force');
    const old = await creds(created.id);
    const before = await mapped(t);
    for (const c of old) expect(await canLogin(t.database, c.username, c.password)).toBe(true);

    // A token without the rotate action may not.
    const reader = await createToken(stack.ctx, { name: 'reader', projectId: t.projectId, actions: ['read'] }, 'test');
    expectError(await call('POST', `${ROT}/${created.id}/incident-rotate`, { token: reader.token }), 403);
    expect(await creds(created.id)).toEqual(old);

    const res = ok(await call('POST', `${ROT}/${created.id}/incident-rotate`));
    expect(res.secretRotation).toMatchObject({ id: created.id, activeIndex: 0, rotationStatus: 'success', minimumOverlapSeconds: 3600 });
    expect(res.warning).toContain(`"${t.roles[0]}" and "${t.roles[1]}" have new passwords`);
    expect(res.warning).toMatch(/has lost access/);
    expect(res.warning).toContain('POSTGRES_DB_USERNAME/POSTGRES_DB_PASSWORD');

    const fresh = await creds(created.id);
    for (const c of old) expect(await canLogin(t.database, c.username, c.password)).toBe(false);
    for (const c of fresh) expect(await canLogin(t.database, c.username, c.password)).toBe(true);
    expect(fresh.map((c) => c.password)).not.toContain(old[0]!.password);
    expect(fresh.map((c) => c.password)).not.toContain(old[1]!.password);
    const after = await mapped(t);
    expect(after).toEqual({ username: t.roles[0], password: fresh[0]!.password, version: before.version + 1 }); // published once
    expect(await audit(created.id, 'rotation.incident')).toEqual([
      { actor: 'admin-token', details: { outcome: 'success', activeIndex: 0, lastRotatedAt: res.secretRotation.lastRotatedAt } },
    ]);

    // The other role's new password was never published, so a rotation need not wait for the overlap.
    const next = ok(await call('POST', `${ROT}/${created.id}/rotate-secrets`)).secretRotation;
    expect(next.activeIndex).toBe(1);
    expect(await canLogin(t.database, t.roles[0], fresh[0]!.password)).toBe(true); // the incident's published pair keeps working (I2)
  });

  it('both routes are in the OpenAPI document', async () => {
    const doc = ok(await call('GET', '/openapi.json'));
    expect(doc.paths[`${ROT}/{rotationId}/incident-rotate`]?.post).toBeDefined();
    expect(doc.paths[`${ROT}/{rotationId}/check`]?.get).toBeDefined();
    expect(doc.paths[`${ROT}/{rotationId}/rotate-secrets`]?.post?.requestBody).toBeDefined();
  });
});

describe('drift check (API)', () => {
  let t: TestTarget;
  let rotationId = '';
  const check = async () => ok(await call('GET', `${ROT}/${rotationId}/check`));
  const rotate = async () => ok(await call('POST', `${ROT}/${rotationId}/rotate-secrets`)).secretRotation;

  beforeAll(async () => {
    // Over TLS with the test cluster's CA: the check uses the connection's TLS settings (see the last test).
    t = await stack.newTarget('drift', { credentials: { sslEnabled: true, sslRejectUnauthorized: true, sslCertificate: inject('pgCaCert') } });
    rotationId = (await createVia(t)).id;
  });

  it('no drift right after create; the report names both slots and holds no password', async () => {
    const report = await check();
    expect(report).toEqual({
      rotationId,
      checkedAt: expect.any(String),
      activeIndex: 0,
      slots: [
        { slot: 0, username: t.roles[0], loginOk: true },
        { slot: 1, username: t.roles[1], loginOk: true },
      ],
      mappedSecretsMatchActive: true,
      drift: false,
      advice: 'No drift: both credentials log in and the mapped secrets hold the active pair.',
    });
    for (const c of await creds(rotationId)) expect(JSON.stringify(report)).not.toContain(c.password);
    expect((await audit(rotationId, 'rotation.checked')).at(-1)).toMatchObject({ actor: 'admin-token', details: { drift: false } });
  });

  it('the inactive password changed outside: drift on that slot, the mapped pair still works; the next rotation repairs it', async () => {
    await changeBehindTheBack(t.roles[1]);
    const report = await check();
    expect(report).toMatchObject({ activeIndex: 0, drift: true, mappedSecretsMatchActive: true });
    expect(report.slots[0]).toEqual({ slot: 0, username: t.roles[0], loginOk: true });
    expect(report.slots[1]).toMatchObject({ slot: 1, loginOk: false, error: expect.stringMatching(/password authentication failed.*changed outside pg-rotator/) });
    expect(report.advice).toContain(`The inactive credential ("${t.roles[1]}") no longer logs in`);
    expect(report.advice).toContain('The next rotation repairs it');
    const m = await mapped(t);
    expect(await canLogin(t.database, m.username, m.password)).toBe(true);

    expect((await rotate()).activeIndex).toBe(1);
    expect(await check()).toMatchObject({ drift: false, mappedSecretsMatchActive: true, slots: [{ loginOk: true }, { loginOk: true }] });
  });

  it('the active password changed outside: the mapped pair no longer logs in; rotate now repairs it, a second rotation the other', async () => {
    await changeBehindTheBack(t.roles[1]); // slot 1 is active
    const m = await mapped(t);
    expect(m.username).toBe(t.roles[1]);
    expect(await canLogin(t.database, m.username, m.password)).toBe(false);
    const report = await check();
    expect(report).toMatchObject({ activeIndex: 1, drift: true, mappedSecretsMatchActive: true, slots: [{ loginOk: true }, { loginOk: false }] });
    expect(report.advice).toContain(`The active credential ("${t.roles[1]}", the pair in the mapped secrets) no longer logs in`);
    expect(report.advice).toContain('Rotate now');
    expect(report.advice).toContain(`a second rotation then repairs "${t.roles[1]}"`);
    expect(report.advice).toContain('The incident rotation repairs both at once');

    // The first rotation publishes a fresh pair for the other role: the mapped secrets work again…
    expect((await rotate()).activeIndex).toBe(0);
    const repaired = await mapped(t);
    expect(await canLogin(t.database, repaired.username, repaired.password)).toBe(true);
    const half = await check();
    expect(half).toMatchObject({ activeIndex: 0, drift: true, mappedSecretsMatchActive: true, slots: [{ loginOk: true }, { loginOk: false }] });
    expect(half.advice).toContain(`The inactive credential ("${t.roles[1]}") no longer logs in`);
    // …and the second one repairs the role whose password was changed.
    expect((await rotate()).activeIndex).toBe(1);
    expect(await check()).toMatchObject({ drift: false, slots: [{ loginOk: true }, { loginOk: true }] });
  });

  it('both passwords changed outside: the incident rotation repairs both at once', async () => {
    await changeBehindTheBack(t.roles[0]);
    await changeBehindTheBack(t.roles[1]);
    const report = await check();
    expect(report).toMatchObject({ drift: true, slots: [{ loginOk: false }, { loginOk: false }] });
    expect(report.advice).toContain('The incident rotation repairs both at once');
    ok(await call('POST', `${ROT}/${rotationId}/incident-rotate`));
    expect(await check()).toMatchObject({ drift: false, mappedSecretsMatchActive: true, slots: [{ loginOk: true }, { loginOk: true }] });
  });

  it('mapped secrets that differ from the active credential are drift too', async () => {
    const { rows } = await stack.ctx.db.pool.query(
      `SELECT s.id, max(v.version) AS version FROM secrets s JOIN secret_versions v ON v.secret_id = s.id
       WHERE s.rotation_id = $1 AND s.key = 'POSTGRES_DB_PASSWORD' GROUP BY s.id`,
      [rotationId],
    );
    const { id, version } = rows[0] as { id: string; version: number };
    const { aad } = await import('../../src/store/secret-box.js');
    await stack.ctx.db.pool.query('INSERT INTO secret_versions (secret_id, version, value_enc) VALUES ($1, $2, $3)', [
      id, version + 1, stack.ctx.db.box.seal(`edited-by-hand-${randomBytes(8).toString('hex')}`, aad.secretVersion(id, version + 1)),
    ]);
    const report = await check();
    expect(report).toMatchObject({ drift: true, mappedSecretsMatchActive: false, slots: [{ loginOk: true }, { loginOk: true }] });
    expect(report.advice).toContain('do not hold the active credential');
    ok(await call('POST', `${ROT}/${rotationId}/rotate-secrets`));
    expect(await check()).toMatchObject({ drift: false, mappedSecretsMatchActive: true });
  });

  it("logs in with the connection's TLS settings: without the CA the server certificate is refused (not drift)", async () => {
    await stack.ctx.db.pool.query('UPDATE connections SET ssl_certificate = NULL WHERE id = $1', [t.connection.id]);
    try {
      const report = await check();
      expect(report.drift).toBe(false);
      for (const s of report.slots) expect(s).toMatchObject({ loginOk: false, error: expect.stringMatching(/certificate/i) });
      expect(report.advice).toContain('That is not a changed password, and a rotation will not repair it');
    } finally {
      await stack.ctx.db.pool.query('UPDATE connections SET ssl_certificate = $2 WHERE id = $1', [t.connection.id, inject('pgCaCert')]);
    }
    expect((await check()).drift).toBe(false);
  });
});

describe('CLI', () => {
  let t: TestTarget;
  let rotationId = '';

  beforeAll(async () => {
    t = await stack.newTarget('cli-safer');
  });

  it('rotation create --minimum-overlap; a bad value names the flag; rotate refused (exit 4) until --force', async () => {
    const flags = [
      'rotation', 'create', '--name', 'safer-cli', '--project', t.projectId, '--connection', t.connection.id, '--env', 'dev',
      '--interval', '1', '--username1', t.roles[0], '--username2', t.roles[1],
      '--username-secret', 'POSTGRES_DB_USERNAME', '--password-secret', 'POSTGRES_DB_PASSWORD',
    ];
    const [bad, tooLong] = await Promise.all([runCli([...flags, '--minimum-overlap', 'soon']), runCli([...flags, '--minimum-overlap', '86401'])]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('minimumOverlapSeconds must be an integer number of seconds');
    expect(bad.stderr).toContain('--minimum-overlap');
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('must be at most rotationInterval (1 day = 86400 seconds)');

    const created = okJson(await runCli([...flags, '--minimum-overlap', '600', '--json']));
    rotationId = created.id;
    cleanup.push(rotationId);
    expect(created.minimumOverlapSeconds).toBe(600);
    expect((await runCli(['rotation', 'get', rotationId])).stdout).toMatch(/^minimum overlap: +600 s/m);

    expect(okJson(await runCli(['rotation', 'rotate', rotationId, '--json'])).activeIndex).toBe(1);
    const before = await mapped(t);
    const [refused, refusedJson, noWait] = await Promise.all([
      runCli(['rotation', 'rotate', rotationId]),
      runCli(['rotation', 'rotate', rotationId, '--json']),
      runCli(['rotation', 'rotate', rotationId, '--no-wait']),
    ]);
    for (const r of [refused, noWait]) {
      expect(r.code, r.stderr).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: rotation refused: .* Allowed from \d{4}-\d\d-\d\dT[\d:.]+Z on; rotate with force/);
    }
    expect(refusedJson.code).toBe(4);
    expect(JSON.parse(refusedJson.stderr)).toMatchObject({ error: 'conflict', details: [{ field: 'force' }] });
    expect(await mapped(t)).toEqual(before);

    const forced = okJson(await runCli(['rotation', 'rotate', rotationId, '--force', '--json']));
    expect(forced.activeIndex).toBe(0);
    expect((await mapped(t)).version).toBe(before.version + 1);
    // --no-wait --force: accepted, runs in the background.
    const requested = okJson(await runCli(['rotation', 'rotate', rotationId, '--no-wait', '--force', '--json']));
    expect(requested).toEqual({ requested: true, id: rotationId });
    await expect.poll(async () => (await mapped(t)).version, { timeout: 15_000 }).toBe(before.version + 2);
  });

  it('rotation check: exit 0 without drift, 7 with it (advice on stdout), no password printed', async () => {
    const clean = await runCli(['rotation', 'check', rotationId]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/^drift: +no$/m);
    expect(clean.stdout).toContain('No drift');

    const active = (await mapped(t)).username;
    const inactive = active === t.roles[0] ? t.roles[1] : t.roles[0];
    await changeBehindTheBack(inactive);
    const [text, json] = await Promise.all([runCli(['rotation', 'check', rotationId]), runCli(['rotation', 'check', rotationId, '--json'])]);
    expect(text.code).toBe(7);
    expect(text.stdout).toMatch(/^drift: +yes$/m);
    expect(text.stdout).toMatch(new RegExp(`^slot \\d \\(${inactive}\\): +does not log in: the stored password is refused`, 'm'));
    expect(text.stdout).toContain('The next rotation repairs it');
    expect(json.code).toBe(7);
    const report = JSON.parse(json.stdout) as Json;
    expect(report).toMatchObject({ rotationId, drift: true, mappedSecretsMatchActive: true });
    for (const c of await creds(rotationId)) expect(text.stdout + json.stdout).not.toContain(c.password);
    expect((await runCli(['rotation', 'rotate', rotationId, '--force'])).code).toBe(0);
    expect((await runCli(['rotation', 'check', rotationId])).code).toBe(0);
  });

  it('rotation incident refuses without --yes (warning, nothing changes); with --yes both roles get new passwords', async () => {
    const old = await creds(rotationId);
    const before = await mapped(t);
    const refused = await runCli(['rotation', 'incident', rotationId]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`gives both "${t.roles[0]}" and "${t.roles[1]}" new passwords now`);
    expect(refused.stderr).toContain('loses access');
    expect(refused.stderr).toContain('Run again with --yes to proceed.');
    expect(await creds(rotationId)).toEqual(old);
    expect(await mapped(t)).toEqual(before);

    const [done] = await Promise.all([runCli(['rotation', 'incident', rotationId, '--yes'])]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^WARNING: both ".*" and ".*" have new passwords\. Every earlier password of either role has stopped working/);
    expect(done.stdout).toMatch(/^active index: /m);
    for (const c of old) expect(await canLogin(t.database, c.username, c.password)).toBe(false);
    const after = await mapped(t);
    expect(after.version).toBe(before.version + 1);
    expect(await canLogin(t.database, after.username, after.password)).toBe(true);
    expect((await audit(rotationId, 'rotation.incident')).at(-1)).toMatchObject({ actor: expect.stringMatching(/^cli/), details: { outcome: 'success' } });

    const json = okJson(await runCli(['rotation', 'incident', rotationId, '--yes', '--json']));
    expect(json).toMatchObject({ warning: expect.stringContaining('have new passwords'), secretRotation: { id: rotationId, rotationStatus: 'success' } });
  });
});
