// The REST API (docs/design.md §7) over HTTP semantics (`app.inject`, plus one real socket) against the real stack:
// Temporal dev server, a real worker, the control database and a real target database. Every route, its happy
// path and every error class: 400 naming the field, 401, 403, 404, 409, malformed/oversize bodies.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { buildApi } from '../../src/api/server.js';
import { createToken, revokeToken } from '../../src/service/tokens.js';
import { rotationWorkflowId } from '../../src/workflows/rotation-messages.js';
import { buildLoggedApi } from '../support/api.js';
import { expectSeedShape, SEED_SAMPLE_REQUEST } from '../support/seed-sample.js';
import { canLogin, dropRoles, openTestStack, type TestStack } from '../support/stack.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type App = Awaited<ReturnType<typeof buildApi>>;

interface Res {
  status: number;
  body: Json;
  headers: Record<string, unknown>;
}

const ROT = '/api/v2/secret-rotations/postgres-credentials';
const CONN = '/api/v1/app-connections/postgres';
const PROJ = '/api/v1/projects';
const SECRETS = '/api/v3/secrets/raw';

const isIso = (s: unknown) => typeof s === 'string' && !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `{ statusCode, error, message, details?, fix? }` with statusCode = the HTTP status; `field` must be named in details. */
function expectError(res: Res, status: number, field?: string): Json {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const keys = Object.keys(res.body);
  expect(keys.filter((k) => !['statusCode', 'error', 'message', 'details', 'fix'].includes(k)), 'unexpected keys').toEqual([]);
  if (res.body.fix !== undefined) expect(res.body.message).toContain(`To fix: ${res.body.fix}`);
  expect(res.body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
  expect(res.body.message.length).toBeGreaterThan(0);
  if (res.body.details !== undefined) {
    expect(Array.isArray(res.body.details)).toBe(true);
    for (const d of res.body.details) expect(d).toEqual({ field: expect.any(String), rule: expect.any(String), message: expect.any(String) });
  }
  if (field !== undefined) {
    expect((res.body.details ?? []).map((d: Json) => d.field), res.body.message).toContain(field);
    expect(res.body.message).toContain(field);
  }
  return res.body;
}

let stack: TestStack;
let app: App;
const adminToken = randomBytes(32).toString('base64url');

async function call(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  url: string,
  opts: { body?: unknown; token?: string | null; headers?: Record<string, string>; payload?: string | Buffer } = {},
): Promise<Res> {
  const token = opts.token === undefined ? adminToken : opts.token;
  const headers: Record<string, string> = { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...opts.headers };
  let payload = opts.payload;
  if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const r = await app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
  let body: Json = {};
  try {
    body = r.body === '' ? {} : (JSON.parse(r.body) as Json);
  } catch {
    body = { raw: r.body };
  }
  return { status: r.statusCode, body, headers: r.headers };
}

const ok = (res: Res): Json => {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

interface Target {
  database: string;
  roles: [string, string];
  adminRole: string;
  adminPassword: string;
  temporaryPassword: string;
}

/** A target database with two login roles and a CREATEROLE admin (its password known to the test). */
async function makeTarget(label: string, roles?: [string, string]): Promise<Target> {
  const id = randomBytes(3).toString('hex');
  const q = pg.escapeIdentifier;
  const database = `api_${label}_${id}`;
  const adminRole = `api_admin_${id}`;
  const adminPassword = randomBytes(18).toString('base64url');
  const temporaryPassword = 'temporary_password';
  const names: [string, string] = roles ?? [`api_${label}_${id}_1`, `api_${label}_${id}_2`];
  await stack.admin.query(`CREATE DATABASE ${q(database)}`);
  await stack.admin.query(`CREATE ROLE ${q(adminRole)} LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(adminPassword)}`);
  await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(database)} TO ${q(adminRole)}`);
  for (const role of names) {
    await stack.admin.query(`CREATE ROLE ${q(role)} LOGIN PASSWORD ${pg.escapeLiteral(temporaryPassword)}`);
    await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(database)} TO ${q(role)}`);
  }
  return { database, roles: names, adminRole, adminPassword, temporaryPassword };
}

const server = () => new URL(inject('adminDatabaseUrl'));

function connectionBody(t: Target, projectId: string, name: string, overrides: Json = {}): Json {
  return {
    name,
    projectId,
    method: 'username-and-password',
    credentials: {
      host: server().hostname,
      port: Number(server().port),
      database: t.database,
      username: t.adminRole,
      password: t.adminPassword,
      sslEnabled: false,
      sslRejectUnauthorized: true,
    },
    ...overrides,
  };
}

async function auditRows(where: string, params: unknown[]): Promise<Json[]> {
  const { rows } = await stack.ctx.db.pool.query(`SELECT actor, action, project_id, rotation_id, details FROM audit_events WHERE ${where} ORDER BY id`, params);
  return rows as Json[];
}

describe('REST API against the real stack', () => {
  const started = Date.now();
  let projectId = '';
  let otherProjectId = '';
  let seed: Target; // roles infisical_user_1 / infisical_user_2, as in Infisical's sample
  let other: Target;
  let connectionId = '';
  let otherConnectionId = '';
  let rotationId = ''; // Infisical's sample's rotation
  let otherRotationId = ''; // in otherProjectId
  let secondRoles: [string, string] = ['', ''];
  const cleanup: string[] = [];

  beforeAll(async () => {
    stack = await openTestStack();
    await stack.startWorker('worker-api');
    app = await buildLoggedApi('api', { ctx: stack.ctx, adminToken });
    for (const r of ['infisical_user_1', 'infisical_user_2']) {
      const { rowCount } = await stack.admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [r]);
      expect(rowCount, `role ${r} must not exist yet in the test cluster`).toBe(0);
    }
    [seed, other] = await Promise.all([makeTarget('seed', ['infisical_user_1', 'infisical_user_2']), makeTarget('other')]);
  });

  afterAll(async () => {
    for (const id of cleanup) {
      await call('DELETE', `${ROT}/${id}?deleteSecrets=true&revokeGeneratedCredentials=true`).catch(() => {});
    }
    // The sample request's fixed role names: another test (the dev command's demo target) may want them.
    if (stack) await dropRoles(stack.admin, ['infisical_user_1', 'infisical_user_2']);
    await app?.close();
    await stack?.close();
    console.log(`[api.test] ${Date.now() - started} ms`);
  });

  describe('public routes', () => {
    it('/api/status answers 200 without a token', async () => {
      const res = await call('GET', '/api/status', { token: null });
      expect(res).toMatchObject({ status: 200, body: { status: 'ok', version: expect.any(String) } });
    });

    it('/docs answers 200 (or redirects to a page that does)', async () => {
      let res = await app.inject({ method: 'GET', url: '/docs' });
      if (res.statusCode >= 300 && res.statusCode < 400) {
        res = await app.inject({ method: 'GET', url: new URL(String(res.headers.location), 'http://x/docs').pathname });
      }
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/text\/html/);
    });

    it('/openapi.json is a valid OpenAPI 3 document with every route', async () => {
      const res = await call('GET', '/openapi.json', { token: null });
      expect(res.status).toBe(200);
      const doc = res.body;
      expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
      expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
      const routes: [string, string][] = [
        ['get', '/api/status'],
        ['post', ROT],
        ['get', ROT],
        ['get', `${ROT}/{rotationId}`],
        ['get', `${ROT}/rotation-name/{name}`],
        ['patch', `${ROT}/{rotationId}`],
        ['delete', `${ROT}/{rotationId}`],
        ['post', `${ROT}/{rotationId}/rotate-secrets`],
        ['get', `${ROT}/{rotationId}/generated-credentials`],
        ['post', CONN],
        ['get', CONN],
        ['get', `${CONN}/{connectionId}`],
        ['patch', `${CONN}/{connectionId}`],
        ['delete', `${CONN}/{connectionId}`],
        ['post', PROJ],
        ['get', PROJ],
        ['get', `${PROJ}/{projectId}`],
        ['post', `${PROJ}/{projectId}/environments`],
        ['get', SECRETS],
        ['get', `${SECRETS}/{secretName}`],
      ];
      for (const [method, path] of routes) expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();

      // Structural validity (the rules of OpenAPI 3.0 that a generator can get wrong): every operation has
      // responses keyed by status code with a description; every parameter has name/in/schema, path parameters
      // are required and match the template exactly; every $ref resolves.
      const resolve = (ref: string) => ref.replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Json | undefined)?.[k], doc);
      const refs: string[] = [];
      const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if (k === '$ref') refs.push(x as string);
            else walk(x);
          }
        }
      };
      walk(doc);
      for (const ref of refs) expect(resolve(ref), ref).toBeDefined();
      for (const [path, item] of Object.entries(doc.paths as Json)) {
        expect(path.startsWith('/')).toBe(true);
        const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
        for (const [method, op] of Object.entries(item as Json)) {
          expect(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'parameters', 'summary', 'description', 'servers']).toContain(method);
          if (method === 'parameters') continue;
          expect(Object.keys(op.responses ?? {}).length, `${method} ${path} responses`).toBeGreaterThan(0);
          for (const [code, r] of Object.entries(op.responses as Json)) {
            expect(code).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
            expect(typeof (r as Json).description, `${method} ${path} ${code} description`).toBe('string');
          }
          const params = (op.parameters ?? []) as Json[];
          for (const p of params) {
            expect(['query', 'header', 'path', 'cookie']).toContain(p.in);
            expect(typeof p.name).toBe('string');
            expect(p.schema ?? p.content).toBeDefined();
            if (p.in === 'path') expect(p.required).toBe(true);
          }
          expect(params.filter((p) => p.in === 'path').map((p) => p.name).sort(), `${method} ${path} path parameters`).toEqual(templated);
        }
      }
    });
  });

  describe('bearer tokens', () => {
    it('missing, malformed, unknown or revoked → 401; the admin token (any scheme case) → 200', async () => {
      expectError(await call('GET', PROJ, { token: null }), 401);
      for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', `Bearer ${adminToken} extra`, `Bearer ${adminToken}x`, `Token ${adminToken}`, `Bearer pgr_${'A'.repeat(43)}`, 'Bearer pgr_short', `Bearer ${'x'.repeat(5000)}`]) {
        expectError(await call('GET', PROJ, { token: null, headers: { authorization } }), 401);
      }
      // Unauthenticated requests are refused before their body or parameters are looked at.
      expectError(await call('POST', ROT, { token: null, payload: '{not json', headers: { 'content-type': 'application/json' } }), 401);
      expectError(await call('GET', `${ROT}/not-a-uuid`, { token: null }), 401);
      expect((await call('GET', PROJ, { token: null, headers: { authorization: `bearer  ${adminToken}` } })).status).toBe(200);

      const { id: throwaway } = ok(await call('POST', PROJ, { body: { name: `tokens-${randomBytes(3).toString('hex')}` } })).project;
      const created = await createToken(stack.ctx, { name: 'soon-revoked', projectId: throwaway, actions: ['read'] }, 'test');
      expect((await call('GET', `${PROJ}/${throwaway}`, { token: created.token })).status).toBe(200);
      await revokeToken(stack.ctx, created.id, 'test');
      const res = expectError(await call('GET', `${PROJ}/${throwaway}`, { token: created.token }), 401);
      expect(res.message).not.toContain(created.token);
    });
  });

  describe('projects', () => {
    it('create (with dev, staging, prod), list, get, add an environment', async () => {
      const name = `api-project-${randomBytes(3).toString('hex')}`;
      const project = ok(await call('POST', PROJ, { body: { name } })).project;
      expect(project).toMatchObject({ id: expect.stringMatching(UUID), name });
      expect(isIso(project.createdAt) && isIso(project.updatedAt)).toBe(true);
      expect(project.environments.map((e: Json) => [e.slug, e.name])).toEqual([
        ['dev', 'Development'],
        ['staging', 'Staging'],
        ['prod', 'Production'],
      ]);
      projectId = project.id;
      otherProjectId = ok(await call('POST', PROJ, { body: { name: `${name}-other` } })).project.id;

      const list = ok(await call('GET', PROJ)).projects as Json[];
      expect(list.map((p) => p.id)).toEqual(expect.arrayContaining([projectId, otherProjectId]));
      expect(ok(await call('GET', `${PROJ}/${projectId}`)).project).toEqual(project);

      const env = ok(await call('POST', `${PROJ}/${projectId}/environments`, { body: { slug: 'qa', name: 'Quality' } })).environment;
      expect(env).toEqual({ id: expect.stringMatching(UUID), slug: 'qa', name: 'Quality' });
      expect(ok(await call('GET', `${PROJ}/${projectId}`)).project.environments.map((e: Json) => e.slug)).toEqual(['dev', 'staging', 'prod', 'qa']);
    });

    it('errors: 400 naming the field, 404 unknown project, 409 duplicate name or slug', async () => {
      expectError(await call('POST', PROJ, { body: { name: '' } }), 400, 'name');
      expectError(await call('POST', PROJ, { body: { name: 'x'.repeat(65) } }), 400, 'name');
      expectError(await call('POST', PROJ, { body: { name: 'ok', extra: 1 } }), 400, 'extra');
      expectError(await call('POST', PROJ, { body: [] }), 400, 'body');
      const existing = ok(await call('GET', `${PROJ}/${projectId}`)).project;
      expectError(await call('POST', PROJ, { body: { name: existing.name } }), 409, 'name');
      expectError(await call('GET', `${PROJ}/not-a-uuid`), 400, 'projectId');
      expectError(await call('GET', `${PROJ}/${randomUUID()}`), 404, 'projectId');
      expectError(await call('POST', `${PROJ}/${randomUUID()}/environments`, { body: { slug: 'qa2', name: 'QA' } }), 404, 'projectId');
      expectError(await call('POST', `${PROJ}/${projectId}/environments`, { body: { slug: 'Q A', name: 'QA' } }), 400, 'slug');
      expectError(await call('POST', `${PROJ}/${projectId}/environments`, { body: { slug: 'qa', name: 'QA again' } }), 409, 'slug');
      expectError(await call('POST', `${PROJ}/${projectId}/environments`, { body: { slug: 'x'.repeat(65), name: 'QA' } }), 400, 'slug');
    });
  });

  describe('app connections', () => {
    it('create proves the credentials log in; the password is never returned; list, get', async () => {
      const wrong = connectionBody(seed, projectId, 'my-pg-connection');
      (wrong.credentials as Json).password = 'not-the-password';
      const refused = expectError(await call('POST', CONN, { body: wrong }), 400, 'credentials');
      expect(refused.message).not.toContain('not-the-password');

      const res = await call('POST', CONN, { body: connectionBody(seed, projectId, 'my-pg-connection', { description: 'seed target' }) });
      const c = ok(res).appConnection;
      expect(c).toMatchObject({
        id: expect.stringMatching(UUID),
        name: 'my-pg-connection',
        description: 'seed target',
        projectId,
        app: 'postgres',
        method: 'username-and-password',
        credentials: { host: server().hostname, port: Number(server().port), database: seed.database, username: seed.adminRole, sslEnabled: false, sslRejectUnauthorized: true },
      });
      connectionId = c.id;
      otherConnectionId = ok(await call('POST', CONN, { body: connectionBody(other, otherProjectId, 'other-connection') })).appConnection.id;

      const list = ok(await call('GET', `${CONN}?projectId=${projectId}`)).appConnections as Json[];
      expect(list.map((x) => x.id)).toEqual([connectionId]);
      const got = ok(await call('GET', `${CONN}/${connectionId}`)).appConnection;
      expect(got).toEqual(c);
      for (const r of [c, got, list]) {
        expect(JSON.stringify(r)).not.toContain(seed.adminPassword);
        expect(JSON.stringify(r)).not.toMatch(/"password"/);
      }
    });

    it('update: new credentials must log in; name and description change; password stays write-only', async () => {
      const badPassword = 'also-not-the-password';
      const refused = expectError(await call('PATCH', `${CONN}/${connectionId}`, { body: { credentials: { password: badPassword } } }), 400, 'credentials');
      expect(refused.message).not.toContain(badPassword);
      // A server that refuses the connection (nothing listens on port 1) is unavailable, not bad input: 503 naming host:port.
      const unreachable = expectError(await call('PATCH', `${CONN}/${connectionId}`, { body: { credentials: { port: 1 } } }), 503, 'credentials');
      expect(unreachable.message).toContain(`must reach the database server: ${server().hostname}:1 could not be reached`);
      // Still the old settings (the refused patches changed nothing).
      expect(ok(await call('GET', `${CONN}/${connectionId}`)).appConnection.credentials.port).toBe(Number(server().port));

      const renamed = ok(await call('PATCH', `${CONN}/${connectionId}`, { body: { name: 'renamed-connection', description: null } })).appConnection;
      expect(renamed).toMatchObject({ name: 'renamed-connection', description: null });
      // Re-sending the right password (verified again) is accepted; the response still has no password.
      const same = await call('PATCH', `${CONN}/${connectionId}`, { body: { name: 'my-pg-connection', credentials: { password: seed.adminPassword } } });
      expect(ok(same).appConnection.name).toBe('my-pg-connection');
      // A patch changes only what it names: port and TLS settings are kept, not reset to their defaults.
      expect(same.body.appConnection.credentials).toEqual(renamed.credentials);
      expect(JSON.stringify(same.body)).not.toContain(seed.adminPassword);
    });

    it('errors: 400 naming the field, 404 unknown id, 409 duplicate name', async () => {
      expectError(await call('POST', CONN, { body: connectionBody(seed, projectId, 'Bad Name') }), 400, 'name');
      expectError(await call('POST', CONN, { body: connectionBody(seed, 'nope', 'x') }), 400, 'projectId');
      expectError(await call('POST', CONN, { body: connectionBody(seed, randomUUID(), 'x') }), 404, 'projectId');
      expectError(await call('POST', CONN, { body: { ...connectionBody(seed, projectId, 'x'), credentials: { host: 'h' } } }), 400, 'credentials.database');
      expectError(await call('POST', CONN, { body: connectionBody(seed, projectId, 'my-pg-connection') }), 409, 'name');
      // A refused connection (nothing listens on port 1): 503 naming host:port; nothing is stored.
      const before = ok(await call('GET', `${CONN}?projectId=${projectId}`)).appConnections;
      const refused = connectionBody(seed, projectId, 'refused');
      const unreachable = expectError(await call('POST', CONN, { body: { ...refused, credentials: { ...refused.credentials, port: 1 } } }), 503, 'credentials');
      expect(unreachable.message).toBe(`credentials must reach the database server: ${server().hostname}:1 could not be reached (connect ECONNREFUSED ${server().hostname}:1)`);
      expect(ok(await call('GET', `${CONN}?projectId=${projectId}`)).appConnections).toEqual(before);
      expectError(await call('PATCH', `${CONN}/${connectionId}`, { body: {} }), 400, 'body');
      expectError(await call('GET', `${CONN}/not-a-uuid`), 400, 'connectionId');
      for (const m of ['GET', 'PATCH', 'DELETE'] as const) {
        expectError(await call(m, `${CONN}/${randomUUID()}`, m === 'PATCH' ? { body: { name: 'x' } } : {}), 404, 'connectionId');
      }
      expectError(await call('GET', CONN), 400, 'projectId');
    });
  });

  describe('rotations', () => {
    it('Infisical sample request as written (real ids, real roles) → 200 with every field of the sample response', async () => {
      const body = { ...SEED_SAMPLE_REQUEST, projectId, connectionId };
      // Exactly Infisical's body: only the two ids differ.
      expect(Object.entries(body).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify((SEED_SAMPLE_REQUEST as Json)[k])).map(([k]) => k)).toEqual(['projectId', 'connectionId']);
      const before = Date.now();
      const res = await call('POST', ROT, { payload: JSON.stringify(body, null, 4), headers: { 'content-type': 'application/json' } });
      const r = ok(res).secretRotation as Json;
      expect(Object.keys(res.body)).toEqual(['secretRotation']);
      expectSeedShape(r);
      rotationId = r.id;
      cleanup.push(rotationId);
      const project = ok(await call('GET', `${PROJ}/${projectId}`)).project;
      const dev = project.environments.find((e: Json) => e.slug === 'dev');
      expect(r).toMatchObject({
        id: expect.stringMatching(UUID),
        name: 'my-pg-rotation',
        description: 'my database credentials rotation',
        secretsMapping: { username: 'POSTGRES_DB_USERNAME', password: 'POSTGRES_DB_PASSWORD' },
        isAutoRotationEnabled: true,
        activeIndex: 0,
        folderId: expect.stringMatching(UUID),
        connectionId,
        rotationInterval: 30,
        rotationStatus: 'success',
        lastRotationJobId: expect.any(String),
        connection: { app: 'postgres', name: 'my-pg-connection', id: connectionId },
        environment: { slug: 'dev', name: 'Development', id: dev.id },
        projectId,
        rotateAtUtc: { hours: 0, minutes: 0 },
        lastRotationMessage: null,
        type: 'postgres-credentials',
        parameters: { username1: 'infisical_user_1', username2: 'infisical_user_2' },
      });
      expect(r.folder).toEqual({ id: r.folderId, path: '/' });
      for (const k of ['createdAt', 'updatedAt', 'lastRotationAttemptedAt', 'lastRotatedAt', 'nextRotationAt']) expect(isIso(r[k]), k).toBe(true);
      expect(Date.parse(r.lastRotatedAt)).toBeGreaterThanOrEqual(before - 1000);
      // Next rotation: 30 days after the last one, at 00:00 UTC.
      const next = new Date(r.nextRotationAt);
      expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([0, 0]);
      expect(next.getTime() - Date.parse(r.lastRotatedAt)).toBeGreaterThanOrEqual(30 * 86_400_000);
      expect(next.getTime() - Date.parse(r.lastRotatedAt)).toBeLessThan(31 * 86_400_000);

      // The published pair (slot 0 = username1) logs in; the temporary passwords were replaced.
      const secrets = ok(await call('GET', `${SECRETS}?projectId=${projectId}&environment=dev&secretPath=/`)).secrets as Json[];
      const value = (k: string) => secrets.find((s) => s.secretKey === k)?.secretValue;
      expect(value('POSTGRES_DB_USERNAME')).toBe('infisical_user_1');
      expect(await canLogin(seed.database, 'infisical_user_1', value('POSTGRES_DB_PASSWORD'))).toBe(true);
      expect(await canLogin(seed.database, 'infisical_user_1', seed.temporaryPassword)).toBe(false);
      expect(await canLogin(seed.database, 'infisical_user_2', seed.temporaryPassword)).toBe(false);
    });

    it('list by projectId, get by id, get by name (default and explicit secretPath)', async () => {
      otherRotationId = ok(
        await call('POST', ROT, {
          body: {
            name: 'other-rotation',
            projectId: otherProjectId,
            connectionId: otherConnectionId,
            environment: 'prod',
            secretPath: 'apps/web/',
            rotationInterval: 7,
            rotateAtUtc: { hours: 3, minutes: 30 },
            parameters: { username1: other.roles[0], username2: other.roles[1], passwordRequirements: { length: 20, required: { digits: 2, lowercase: 2, uppercase: 2, symbols: 2 }, allowedSymbols: '-_' } },
            secretsMapping: { username: 'WEB_DB_USER', password: 'WEB_DB_PASSWORD' },
          },
        }),
      ).secretRotation.id;
      cleanup.push(otherRotationId);

      const listResponse = ok(await call('GET', `${ROT}?projectId=${projectId}`));
      const list = listResponse.secretRotations as Json[];
      expect(list.map((x) => x.id)).toEqual([rotationId]);
      expect(listResponse.totalCount).toBe(1);
      // Pages: the same rotation on the first page of one, none after it; the total either way.
      expect(ok(await call('GET', `${ROT}?projectId=${projectId}&limit=1`))).toMatchObject({ secretRotations: [{ id: rotationId }], totalCount: 1 });
      expect(ok(await call('GET', `${ROT}?projectId=${projectId}&limit=1&offset=1`))).toEqual({ secretRotations: [], totalCount: 1 });
      expect(ok(await call('GET', `${ROT}?projectId=${projectId}&offset=1`))).toEqual({ secretRotations: [], totalCount: 1 });
      expectSeedShape(list[0]!);
      const otherList = ok(await call('GET', `${ROT}?projectId=${otherProjectId}`)).secretRotations as Json[];
      expect(otherList).toHaveLength(1);
      expect(otherList[0]).toMatchObject({ id: otherRotationId, folder: { path: '/apps/web' }, environment: { slug: 'prod', name: 'Production' }, rotateAtUtc: { hours: 3, minutes: 30 } });
      expect(ok(await call('GET', `${ROT}?projectId=${randomUUID()}`)).secretRotations).toEqual([]);

      const got = ok(await call('GET', `${ROT}/${rotationId}`)).secretRotation;
      expectSeedShape(got);
      expect(got).toMatchObject({ id: rotationId, activeIndex: 0, rotationStatus: 'success' });
      // The listing (control database snapshot) and the live view agree.
      const { rotationInProgress: _a, ...live } = got;
      const { rotationInProgress: _b, ...listed } = list[0]!;
      expect(listed).toEqual(live);

      const byName = ok(await call('GET', `${ROT}/rotation-name/my-pg-rotation?projectId=${projectId}&environment=dev`)).secretRotation;
      expect(byName.id).toBe(rotationId);
      const byPath = ok(await call('GET', `${ROT}/rotation-name/other-rotation?projectId=${otherProjectId}&environment=prod&secretPath=${encodeURIComponent('/apps/web/')}`)).secretRotation;
      expect(byPath.id).toBe(otherRotationId);
    });

    it('get errors: 400 naming the field, 404 unknown id/name/folder', async () => {
      expectError(await call('GET', ROT), 400, 'projectId');
      expectError(await call('GET', `${ROT}?projectId=abc`), 400, 'projectId');
      for (const limit of ['0', '1001', '1.5', 'abc']) {
        expect(expectError(await call('GET', `${ROT}?projectId=${projectId}&limit=${limit}`), 400, 'limit').message).toMatch(/integer from 1 to 1000/);
      }
      expect(expectError(await call('GET', `${ROT}?projectId=${projectId}&offset=-1`), 400, 'offset').message).toMatch(/at least 0/);
      expectError(await call('GET', `${ROT}?projectId=${projectId}&page=2`), 400, 'page');
      expectError(await call('GET', `${ROT}/not-a-uuid`), 400, 'rotationId');
      expectError(await call('GET', `${ROT}/%E0%A4%A`), 400); // broken percent-encoding
      for (const path of ['', '/rotate-secrets', '/generated-credentials']) {
        const m = path === '/rotate-secrets' ? 'POST' : 'GET';
        expectError(await call(m, `${ROT}/${randomUUID()}${path}`), 404, 'rotationId');
      }
      expectError(await call('PATCH', `${ROT}/${randomUUID()}`, { body: { description: 'x' } }), 404, 'rotationId');
      expectError(await call('DELETE', `${ROT}/${randomUUID()}`), 404, 'rotationId');
      expectError(await call('GET', `${ROT}/rotation-name/nope?projectId=${projectId}&environment=dev`), 404, 'name');
      expectError(await call('GET', `${ROT}/rotation-name/my-pg-rotation?projectId=${projectId}&environment=dev&secretPath=/elsewhere`), 404, 'name');
      expectError(await call('GET', `${ROT}/rotation-name/my-pg-rotation?projectId=${projectId}`), 400, 'environment');
      expectError(await call('GET', `${ROT}/rotation-name/my-pg-rotation?projectId=${projectId}&environment=dev&secretPath=/a/../b`), 400, 'secretPath');
    });

    // One case per rule of docs/design.md §6 that the request itself can break: [label, overrides, field].
    const rules: [string, (b: Json) => Json, string][] = [
      ['name not a slug', () => ({ name: 'My_Rotation' }), 'name'],
      ['name 65 characters', () => ({ name: 'a'.repeat(65) }), 'name'],
      ['name empty', () => ({ name: '' }), 'name'],
      ['description 257 characters', () => ({ description: 'd'.repeat(257) }), 'description'],
      ['environment 65 characters', () => ({ environment: 'e'.repeat(65) }), 'environment'],
      ['secretPath with ..', () => ({ secretPath: '/a/../b' }), 'secretPath'],
      ['rotationInterval 0', () => ({ rotationInterval: 0 }), 'rotationInterval'],
      ['rotationInterval 1.5', () => ({ rotationInterval: 1.5 }), 'rotationInterval'],
      ['rotationInterval "30"', () => ({ rotationInterval: '30' }), 'rotationInterval'],
      ['rotateAtUtc.hours 24', () => ({ rotateAtUtc: { hours: 24, minutes: 0 } }), 'rotateAtUtc.hours'],
      ['rotateAtUtc.minutes 60', () => ({ rotateAtUtc: { hours: 0, minutes: 60 } }), 'rotateAtUtc.minutes'],
      ['username1 = username2', (b) => ({ parameters: { username1: b.parameters.username1, username2: b.parameters.username1 } }), 'parameters.username2'],
      ['secretsMapping names equal', () => ({ secretsMapping: { username: 'SAME', password: 'SAME' } }), 'secretsMapping.password'],
      ['secretsMapping name with :', () => ({ secretsMapping: { username: 'A:B', password: 'P' } }), 'secretsMapping.username'],
      ['secretsMapping name with /', () => ({ secretsMapping: { username: 'U', password: 'A/B' } }), 'secretsMapping.password'],
      ['password length 0', (b) => ({ parameters: { ...b.parameters, passwordRequirements: { length: 0 } } }), 'parameters.passwordRequirements.length'],
      ['password length 251', (b) => ({ parameters: { ...b.parameters, passwordRequirements: { length: 251 } } }), 'parameters.passwordRequirements.length'],
      ['required sum > length', (b) => ({ parameters: { ...b.parameters, passwordRequirements: { length: 3, required: { digits: 2, lowercase: 2, uppercase: 0, symbols: 0 } } } }), 'parameters.passwordRequirements.required'],
      ['required all zero', (b) => ({ parameters: { ...b.parameters, passwordRequirements: { required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 0 } } } }), 'parameters.passwordRequirements.required'],
      ['allowedSymbols with a letter', (b) => ({ parameters: { ...b.parameters, passwordRequirements: { allowedSymbols: '-a' } } }), 'parameters.passwordRequirements.allowedSymbols'],
      ['rotationStatement unknown placeholder', (b) => ({ parameters: { ...b.parameters, rotationStatement: 'ALTER ROLE {{username}} PASSWORD {{password}} VALID UNTIL {{until}}' } }), 'parameters.rotationStatement'],
      ['rotationStatement without {{password}}', (b) => ({ parameters: { ...b.parameters, rotationStatement: 'ALTER ROLE {{username}} LOGIN' } }), 'parameters.rotationStatement'],
      ['unknown field', () => ({ rotationIntervall: 30 }), 'rotationIntervall'],
      ['projectId not a UUID', () => ({ projectId: 'p1' }), 'projectId'],
      ['connectionId missing', () => ({ connectionId: undefined }), 'connectionId'],
    ];

    it.each(rules)('create: %s → 400 naming %s, nothing created', async (_label, change, field) => {
      const base: Json = { ...SEED_SAMPLE_REQUEST, projectId, connectionId, name: 'never-created', secretsMapping: { username: 'NEVER_U', password: 'NEVER_P' } };
      const before = (await stack.ctx.db.pool.query('SELECT count(*)::int AS n FROM rotations')).rows[0].n;
      expectError(await call('POST', ROT, { body: { ...base, ...change(base) } }), 400, field);
      expect((await stack.ctx.db.pool.query('SELECT count(*)::int AS n FROM rotations')).rows[0].n).toBe(before);
    });

    it('create: 409 name or secret names taken in the folder, 404 unknown project/environment/connection, 400 role checks on the target', async () => {
      const base: Json = { ...SEED_SAMPLE_REQUEST, projectId, connectionId };
      expectError(await call('POST', ROT, { body: { ...base, secretsMapping: { username: 'U2', password: 'P2' } } }), 409, 'name');
      expectError(await call('POST', ROT, { body: { ...base, name: 'second' } }), 409, 'secretsMapping');
      expectError(await call('POST', ROT, { body: { ...base, name: 'second', secretsMapping: { username: 'U2', password: 'POSTGRES_DB_PASSWORD' } } }), 409, 'secretsMapping');
      expectError(await call('POST', ROT, { body: { ...base, projectId: randomUUID() } }), 404, 'projectId');
      expectError(await call('POST', ROT, { body: { ...base, environment: 'nowhere' } }), 404, 'environment');
      expectError(await call('POST', ROT, { body: { ...base, connectionId: randomUUID() } }), 404, 'connectionId');
      expectError(await call('POST', ROT, { body: { ...base, connectionId: otherConnectionId } }), 404, 'connectionId');
      // A role another rotation manages on this cluster: 409 naming the role and its owner, before the target is touched.
      const owned = expectError(
        await call('POST', ROT, { body: { ...base, name: 'owned', secretPath: '/owned', secretsMapping: { username: 'OW_U', password: 'OW_P' } } }),
        409,
        'parameters.username1',
      );
      expect(owned.message).toContain(`role "infisical_user_1" is managed by rotation "${SEED_SAMPLE_REQUEST.name}"`);
      // Role rules are checked on the target by the workflow's preflight: a 400 naming the field and the rule.
      const free = `api_free_${randomUUID().slice(0, 8)}`;
      await stack.admin.query(`CREATE ROLE ${pg.escapeIdentifier(free)} LOGIN PASSWORD 'temporary_password'`);
      const missing = expectError(
        await call('POST', ROT, { body: { ...base, name: 'preflight', secretPath: '/preflight', secretsMapping: { username: 'PF_U', password: 'PF_P' }, parameters: { username1: free, username2: 'no_such_role' } } }),
        400,
        'parameters.username2',
      );
      expect(missing.message).toMatch(/^parameters\.username2 role "no_such_role" does not exist/);
      expect(missing.fix).toMatch(/^CREATE ROLE "no_such_role" LOGIN;/);
      // …and it changed nothing: the active credential still logs in.
      const creds = ok(await call('GET', `${ROT}/${rotationId}/generated-credentials`)).generatedCredentials as Json[];
      expect(await canLogin(seed.database, creds[0]!.username, creds[0]!.password)).toBe(true);
    });

    it('malformed JSON, wrong content type, empty and oversize bodies → 4xx with the error body, nothing created', async () => {
      const before = (await stack.ctx.db.pool.query('SELECT count(*)::int AS n FROM rotations')).rows[0].n;
      const json = { 'content-type': 'application/json' };
      expectError(await call('POST', ROT, { payload: '{"name": ', headers: json }), 400);
      expectError(await call('POST', ROT, { payload: '{"__proto__": {"admin": true}}', headers: json }), 400);
      expectError(await call('POST', ROT, { payload: '{"constructor": {"prototype": {"admin": true}}}', headers: json }), 400);
      expectError(await call('POST', ROT, { payload: '', headers: json }), 400);
      expectError(await call('POST', ROT, { payload: 'null', headers: json }), 400, 'body');
      expectError(await call('POST', ROT, { payload: '[1,2]', headers: json }), 400, 'body');
      expectError(await call('POST', ROT, { payload: JSON.stringify({ ...SEED_SAMPLE_REQUEST, projectId, connectionId }), headers: { 'content-type': 'text/plain' } }), 400, 'body');
      expectError(await call('POST', ROT, { payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
      expectError(await call('POST', ROT, { payload: Buffer.from([0xff, 0xfe, 0x00]), headers: { 'content-type': 'application/octet-stream' } }), 415);
      expectError(await call('POST', ROT, { payload: JSON.stringify({ name: 'x'.repeat(70 * 1024) }), headers: json }), 413);
      expectError(await call('PATCH', `${ROT}/${rotationId}`, { payload: JSON.stringify({ description: 'd'.repeat(65 * 1024) }), headers: json }), 413);
      const put = expectError(await call('PUT', `${ROT}/${rotationId}`), 405);
      expect(put.message).toMatch(/allowed: DELETE, GET, HEAD, PATCH/);
      expect((await stack.ctx.db.pool.query('SELECT count(*)::int AS n FROM rotations')).rows[0].n).toBe(before);
    });

    it('rotate-secrets returns after the rotation finished: activeIndex flips, secret versions rise, the new password logs in', async () => {
      const q = `projectId=${projectId}&environment=dev`;
      const before = ok(await call('GET', `${SECRETS}/POSTGRES_DB_PASSWORD?${q}`)).secret;
      const userBefore = ok(await call('GET', `${SECRETS}/POSTGRES_DB_USERNAME?${q}`)).secret;
      // As curl sends it: a JSON content type and no body.
      const r = ok(await call('POST', `${ROT}/${rotationId}/rotate-secrets`, { headers: { 'content-type': 'application/json' } })).secretRotation;
      expectSeedShape(r);
      expect(r).toMatchObject({ id: rotationId, activeIndex: 1, rotationStatus: 'success', rotationInProgress: false, lastRotationMessage: null });
      const after = ok(await call('GET', `${SECRETS}/POSTGRES_DB_PASSWORD?${q}`)).secret;
      const userAfter = ok(await call('GET', `${SECRETS}/POSTGRES_DB_USERNAME?${q}`)).secret;
      expect(after.version).toBe(before.version + 1);
      expect(userAfter.version).toBe(userBefore.version + 1);
      expect(userAfter.secretValue).toBe('infisical_user_2');
      expect(after.secretValue).not.toBe(before.secretValue);
      expect(await canLogin(seed.database, 'infisical_user_2', after.secretValue)).toBe(true);
      // The previous pair stays valid for one more interval (dual phase).
      expect(await canLogin(seed.database, 'infisical_user_1', before.secretValue)).toBe(true);
      expect(ok(await call('GET', `${ROT}/${rotationId}`)).secretRotation.activeIndex).toBe(1);
    });

    it('generated-credentials: both slots and activeIndex; every read writes an audit event without the password', async () => {
      const token = await createToken(stack.ctx, { name: 'creds-reader', projectId, actions: ['read-generated-credentials'] }, 'test');
      const auditBefore = await auditRows("rotation_id = $1 AND action = 'rotation.generated-credentials-read'", [rotationId]);
      const body = ok(await call('GET', `${ROT}/${rotationId}/generated-credentials`, { token: token.token }));
      expect(body).toMatchObject({ rotationId, type: 'postgres-credentials', activeIndex: 1 });
      const creds = body.generatedCredentials as Json[];
      expect(creds.map((c) => c.username)).toEqual(['infisical_user_1', 'infisical_user_2']);
      for (const c of creds) expect(await canLogin(seed.database, c.username, c.password)).toBe(true);
      const active = ok(await call('GET', `${SECRETS}/POSTGRES_DB_PASSWORD?projectId=${projectId}&environment=dev`)).secret.secretValue;
      expect(creds[1]!.password).toBe(active);

      const audit = await auditRows("rotation_id = $1 AND action = 'rotation.generated-credentials-read'", [rotationId]);
      expect(audit.length).toBe(auditBefore.length + 1);
      const event = audit.at(-1)!;
      expect(event).toMatchObject({ actor: `token:${token.id}`, project_id: projectId, rotation_id: rotationId });
      const text = JSON.stringify(audit);
      for (const c of creds) expect(text).not.toContain(c.password);
    });

    it('secret reads: folder list, by name, ?version=; each read audited; 400/404 naming the field', async () => {
      const q = `projectId=${projectId}&environment=dev`;
      const auditBefore = (await auditRows("action = 'secrets.read' AND project_id = $1", [projectId])).length;
      const list = ok(await call('GET', `${SECRETS}?${q}`)).secrets as Json[];
      expect(list.map((s) => s.secretKey)).toEqual(['POSTGRES_DB_PASSWORD', 'POSTGRES_DB_USERNAME']);
      for (const s of list) {
        expect(s).toMatchObject({ id: expect.stringMatching(UUID), version: 2, type: 'shared', environment: 'dev', secretPath: '/', rotationId });
        expect(isIso(s.createdAt) && isIso(s.updatedAt)).toBe(true);
      }
      const v1 = ok(await call('GET', `${SECRETS}/POSTGRES_DB_USERNAME?${q}&version=1`)).secret;
      expect(v1).toMatchObject({ secretKey: 'POSTGRES_DB_USERNAME', secretValue: 'infisical_user_1', version: 1 });
      const latest = ok(await call('GET', `${SECRETS}/POSTGRES_DB_USERNAME?${q}&secretPath=%2F`)).secret;
      expect(latest).toMatchObject({ secretValue: 'infisical_user_2', version: 2 });
      const audit = await auditRows("action = 'secrets.read' AND project_id = $1", [projectId]);
      expect(audit.length).toBe(auditBefore + 3);
      expect(audit.at(-1)).toMatchObject({ actor: 'admin-token', details: { environment: 'dev', secretPath: '/', keys: ['POSTGRES_DB_USERNAME'] } });
      const passwords = list.filter((s) => s.secretKey.endsWith('PASSWORD')).map((s) => s.secretValue as string);
      for (const p of passwords) expect(JSON.stringify(audit)).not.toContain(p);

      expectError(await call('GET', `${SECRETS}/POSTGRES_DB_USERNAME?${q}&version=99`), 404, 'key');
      expectError(await call('GET', `${SECRETS}/NOPE?${q}`), 404, 'key');
      expectError(await call('GET', `${SECRETS}/POSTGRES_DB_USERNAME?${q}&version=0`), 400, 'version');
      expectError(await call('GET', `${SECRETS}/POSTGRES_DB_USERNAME?${q}&version=abc`), 400, 'version');
      // Past the integer column (found by Schemathesis: it was a 500 from PostgreSQL's "out of range").
      expectError(await call('GET', `${SECRETS}/POSTGRES_DB_USERNAME?${q}&version=48456257669`), 400, 'version');
      expectError(await call('GET', `${SECRETS}/POSTGRES_DB_USERNAME?${q}&version=2147483647`), 404, 'key');
      // NUL cannot be stored in PostgreSQL text, so it names nothing; it is refused before it reaches SQL (was a 500).
      expectError(await call('GET', `${SECRETS}/a%00b?${q}`), 400, 'secretName');
      expectError(await call('GET', `${ROT}/rotation-name/a%00?${q}`), 400, 'name');
      expectError(await call('GET', `${SECRETS}?${q}&secretPath=%2F&environment=d%00v`), 400, 'environment');
      expectError(await call('GET', `${SECRETS}?projectId=${projectId}`), 400, 'environment');
      expectError(await call('GET', `${SECRETS}?projectId=${projectId}&environment=nowhere`), 404, 'environment');
      expectError(await call('GET', `${SECRETS}?projectId=${randomUUID()}&environment=dev`), 404, 'projectId');
      expect(ok(await call('GET', `${SECRETS}?${q}&secretPath=/empty/folder`)).secrets).toEqual([]);
      // Refused reads were not audited.
      expect((await auditRows("action = 'secrets.read' AND project_id = $1", [projectId])).length).toBe(auditBefore + 4);
    });

    it('PATCH: fields change; renaming a mapped secret keeps its versions; 400/404/409 naming the field', async () => {
      const q = `projectId=${projectId}&environment=dev`;
      const versions = async (key: string) => {
        const out: Json[] = [];
        for (let v = 1; ; v++) {
          const res = await call('GET', `${SECRETS}/${key}?${q}&version=${v}`);
          if (res.status === 404) return out;
          out.push(ok(res).secret);
        }
      };
      const oldUser = await versions('POSTGRES_DB_USERNAME');
      const oldPass = await versions('POSTGRES_DB_PASSWORD');
      expect([oldUser.length, oldPass.length]).toEqual([2, 2]);

      const paused = ok(await call('PATCH', `${ROT}/${rotationId}`, { body: { isAutoRotationEnabled: false, description: null, rotateAtUtc: { hours: 4, minutes: 15 } } })).secretRotation;
      expect(paused).toMatchObject({ isAutoRotationEnabled: false, nextRotationAt: null, description: null, rotateAtUtc: { hours: 4, minutes: 15 } });
      const resumed = ok(await call('PATCH', `${ROT}/${rotationId}`, { body: { isAutoRotationEnabled: true, rotationInterval: 2, description: 'my database credentials rotation' } })).secretRotation;
      expect(resumed).toMatchObject({ isAutoRotationEnabled: true, rotationInterval: 2 });
      expect(new Date(resumed.nextRotationAt).getUTCHours()).toBe(4);

      const renamed = ok(await call('PATCH', `${ROT}/${rotationId}`, { body: { secretsMapping: { username: 'PG_USER', password: 'PG_PASSWORD' } } })).secretRotation;
      expect(renamed.secretsMapping).toEqual({ username: 'PG_USER', password: 'PG_PASSWORD' });
      expect(await versions('POSTGRES_DB_USERNAME')).toEqual([]);
      expect(await versions('POSTGRES_DB_PASSWORD')).toEqual([]);
      const strip = (xs: Json[]) => xs.map((s) => ({ id: s.id, version: s.version, secretValue: s.secretValue, createdAt: s.createdAt }));
      expect(strip(await versions('PG_USER'))).toEqual(strip(oldUser));
      expect(strip(await versions('PG_PASSWORD'))).toEqual(strip(oldPass));
      expect((ok(await call('GET', `${SECRETS}?${q}`)).secrets as Json[]).map((s) => s.secretKey)).toEqual(['PG_PASSWORD', 'PG_USER']);
      // The next rotation publishes under the new names.
      ok(await call('POST', `${ROT}/${rotationId}/rotate-secrets`));
      expect((await versions('PG_PASSWORD')).map((s) => s.version)).toEqual([1, 2, 3]);

      // Swapping the two names works too (through temporary names).
      const swapped = ok(await call('PATCH', `${ROT}/${rotationId}`, { body: { secretsMapping: { username: 'PG_PASSWORD', password: 'PG_USER' } } })).secretRotation;
      expect(swapped.secretsMapping).toEqual({ username: 'PG_PASSWORD', password: 'PG_USER' });
      expect((await versions('PG_PASSWORD')).at(-1)!.secretValue).toBe('infisical_user_1');
      ok(await call('PATCH', `${ROT}/${rotationId}`, { body: { secretsMapping: { username: 'POSTGRES_DB_USERNAME', password: 'POSTGRES_DB_PASSWORD' } } }));

      // Errors; none of them changes the rotation.
      const snapshot = ok(await call('GET', `${ROT}/${rotationId}`)).secretRotation;
      // A second rotation in the same folder, through the same connection, on two roles of its own.
      secondRoles = (await makeTarget('second')).roles;
      const second = ok(
        await call('POST', ROT, {
          body: { ...SEED_SAMPLE_REQUEST, projectId, connectionId, name: 'second-rotation', secretsMapping: { username: 'SECOND_U', password: 'SECOND_P' }, parameters: { username1: secondRoles[0], username2: secondRoles[1] } },
        }),
      ).secretRotation;
      cleanup.push(second.id);
      expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: { name: 'second-rotation' } }), 409, 'name');
      expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: { secretsMapping: { username: 'SECOND_U', password: 'X' } } }), 409, 'secretsMapping');
      expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: { parameters: { username1: 'infisical_user_1', username2: 'someone_else' } } }), 400, 'parameters.username2');
      expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: {} }), 400, 'body');
      expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: { rotationInterval: 0 } }), 400, 'rotationInterval');
      expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: { projectId } }), 400, 'projectId');
      expectError(await call('PATCH', `${ROT}/${rotationId}`, { body: { rotateAtUtc: { hours: 1 } } }), 400, 'rotateAtUtc.minutes');
      expectError(await call('PATCH', `${ROT}/not-a-uuid`, { body: { description: 'x' } }), 400, 'rotationId');
      const { updatedAt: _u, rotationInProgress: _p, ...unchanged } = ok(await call('GET', `${ROT}/${rotationId}`)).secretRotation;
      const { updatedAt: _u2, rotationInProgress: _p2, ...expected } = snapshot;
      expect(unchanged).toEqual(expected);
      // A rename to a free name works and the rotation is found under it.
      ok(await call('PATCH', `${ROT}/${second.id}`, { body: { name: 'second-renamed' } }));
      expect(ok(await call('GET', `${ROT}/rotation-name/second-renamed?projectId=${projectId}&environment=dev`)).secretRotation.id).toBe(second.id);
    });

    it('a project-scoped token: 200 inside its project and actions, 403 outside', async () => {
      const reader = await createToken(stack.ctx, { name: 'reader', projectId, actions: ['read', 'read-secrets'] }, 'test');
      const t = reader.token;
      const q = `projectId=${projectId}&environment=dev`;
      expect((await call('GET', `${ROT}?projectId=${projectId}`, { token: t })).status).toBe(200);
      expect((await call('GET', `${ROT}/${rotationId}`, { token: t })).status).toBe(200);
      expect((await call('GET', `${ROT}/rotation-name/my-pg-rotation?${q}`, { token: t })).status).toBe(200);
      expect((await call('GET', `${CONN}?projectId=${projectId}`, { token: t })).status).toBe(200);
      expect((await call('GET', `${CONN}/${connectionId}`, { token: t })).status).toBe(200);
      expect((await call('GET', `${PROJ}/${projectId}`, { token: t })).status).toBe(200);
      expect(ok(await call('GET', PROJ, { token: t })).projects.map((p: Json) => p.id)).toEqual([projectId]);
      expect((await call('GET', `${SECRETS}?${q}`, { token: t })).status).toBe(200);
      expect((await call('GET', `${SECRETS}/POSTGRES_DB_PASSWORD?${q}`, { token: t })).status).toBe(200);

      // Another project: 403, whatever the route.
      expectError(await call('GET', `${ROT}?projectId=${otherProjectId}`, { token: t }), 403);
      expectError(await call('GET', `${ROT}/${otherRotationId}`, { token: t }), 403);
      expectError(await call('GET', `${CONN}/${otherConnectionId}`, { token: t }), 403);
      expectError(await call('GET', `${PROJ}/${otherProjectId}`, { token: t }), 403);
      expectError(await call('GET', `${SECRETS}?projectId=${otherProjectId}&environment=prod&secretPath=/apps/web`, { token: t }), 403);
      // Its own project, actions it does not have: 403, and nothing happens.
      const before = ok(await call('GET', `${ROT}/${rotationId}`)).secretRotation;
      expectError(await call('POST', `${ROT}/${rotationId}/rotate-secrets`, { token: t }), 403);
      expectError(await call('GET', `${ROT}/${rotationId}/generated-credentials`, { token: t }), 403);
      expectError(await call('PATCH', `${ROT}/${rotationId}`, { token: t, body: { description: 'hacked' } }), 403);
      expectError(await call('DELETE', `${ROT}/${rotationId}`, { token: t }), 403);
      expectError(await call('POST', ROT, { token: t, body: { ...SEED_SAMPLE_REQUEST, projectId, connectionId, name: 'by-reader' } }), 403);
      expectError(await call('POST', CONN, { token: t, body: connectionBody(seed, projectId, 'by-reader') }), 403);
      expectError(await call('DELETE', `${CONN}/${connectionId}`, { token: t }), 403);
      expectError(await call('POST', `${PROJ}/${projectId}/environments`, { token: t, body: { slug: 'x', name: 'X' } }), 403);
      // Creating a project needs an all-projects token.
      const creator = await createToken(stack.ctx, { name: 'creator', projectId, actions: ['create'] }, 'test');
      expectError(await call('POST', PROJ, { token: creator.token, body: { name: 'not-allowed' } }), 403);
      const after = ok(await call('GET', `${ROT}/${rotationId}`)).secretRotation;
      expect(after).toMatchObject({ activeIndex: before.activeIndex, description: before.description, lastRotatedAt: before.lastRotatedAt });

      // The rotate action inside the project: 200.
      const rotator = await createToken(stack.ctx, { name: 'rotator', projectId, actions: ['rotate'] }, 'test');
      const rotated = ok(await call('POST', `${ROT}/${rotationId}/rotate-secrets`, { token: rotator.token })).secretRotation;
      expect(rotated.activeIndex).toBe(1 - before.activeIndex);
    });

    it('a connection in use cannot be deleted (409); an unused one can', async () => {
      const refused = expectError(await call('DELETE', `${CONN}/${connectionId}`), 409);
      expect(refused.message).toMatch(/my-pg-rotation/);
      expect((await call('GET', `${CONN}/${connectionId}`)).status).toBe(200);

      const spareTarget = await makeTarget('spare');
      const spare = ok(await call('POST', CONN, { body: connectionBody(spareTarget, projectId, 'spare-connection') })).appConnection;
      expect(ok(await call('DELETE', `${CONN}/${spare.id}`)).appConnection.id).toBe(spare.id);
      expectError(await call('GET', `${CONN}/${spare.id}`), 404, 'connectionId');
    });

    it('DELETE with deleteSecrets and revokeGeneratedCredentials: secrets gone, both credentials revoked, workflow ended', async () => {
      expectError(await call('DELETE', `${ROT}/${rotationId}?deleteSecrets=yes`), 400, 'deleteSecrets');
      expectError(await call('DELETE', `${ROT}/${rotationId}?deleteSecret=true`), 400, 'deleteSecret');
      const creds = ok(await call('GET', `${ROT}/${rotationId}/generated-credentials`)).generatedCredentials as Json[];
      for (const c of creds) expect(await canLogin(seed.database, c.username, c.password)).toBe(true);

      const res = ok(await call('DELETE', `${ROT}/${rotationId}?deleteSecrets=true&revokeGeneratedCredentials=true`)).secretRotation;
      expect(res).toMatchObject({ id: rotationId, name: 'my-pg-rotation' });
      cleanup.splice(cleanup.indexOf(rotationId), 1);
      for (const c of creds) expect(await canLogin(seed.database, c.username, c.password)).toBe(false);
      expectError(await call('GET', `${ROT}/${rotationId}`), 404, 'rotationId');
      expectError(await call('GET', `${SECRETS}/POSTGRES_DB_PASSWORD?projectId=${projectId}&environment=dev`), 404, 'key');
      expect((ok(await call('GET', `${ROT}?projectId=${projectId}`)).secretRotations as Json[]).map((r) => r.name)).toEqual(['second-renamed']);
      await expect
        .poll(async () => (await stack.ctx.temporal.workflow.getHandle(rotationWorkflowId(rotationId)).describe()).status.name, { timeout: 10_000 })
        .not.toBe('RUNNING');

      // Without the flags: the secrets stay (unowned), the credentials keep working.
      const second = (ok(await call('GET', `${ROT}?projectId=${projectId}`)).secretRotations as Json[])[0]!;
      const secondCreds = ok(await call('GET', `${ROT}/${second.id}/generated-credentials`)).generatedCredentials as Json[];
      ok(await call('DELETE', `${ROT}/${second.id}`));
      cleanup.splice(cleanup.indexOf(second.id), 1);
      const kept = ok(await call('GET', `${SECRETS}/SECOND_P?projectId=${projectId}&environment=dev`)).secret;
      expect(kept.rotationId).toBeNull();
      const active = secondCreds.find((c) => c.password === kept.secretValue)!;
      expect(await canLogin(seed.database, active.username, active.password)).toBe(true);

      // No rotation uses the connection any more: now it can be deleted.
      expect(ok(await call('DELETE', `${CONN}/${connectionId}`)).appConnection.id).toBe(connectionId);
    });
  });

  it('over a real socket: status, an authenticated call, 401, an oversize body and an over-long request line', async () => {
    const real = await buildLoggedApi('api-socket', { ctx: stack.ctx, adminToken });
    try {
      await real.listen({ port: 0, host: '127.0.0.1' });
      const { port } = real.server.address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/api/status`)).json()).toMatchObject({ status: 'ok' });
      const auth = { authorization: `Bearer ${adminToken}` };
      const list = await fetch(`${base}${ROT}?projectId=${otherProjectId}`, { headers: auth });
      expect(list.status).toBe(200);
      expect(((await list.json()) as Json).secretRotations).toHaveLength(1);
      const denied = await fetch(`${base}${ROT}?projectId=${otherProjectId}`);
      expect([denied.status, ((await denied.json()) as Json).statusCode]).toEqual([401, 401]);
      const big = await fetch(`${base}${ROT}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(200 * 1024) }) });
      expect(big.status).toBe(413);
      expect(await big.json()).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      // Refused by Node's HTTP parser before any route runs: still the documented error body.
      const long = await fetch(`${base}${ROT}?projectId=${otherProjectId}&pad=${'x'.repeat(20 * 1024)}`, { headers: auth });
      expect([long.status, long.headers.get('content-type')]).toEqual([431, 'application/json']);
      expect(await long.json()).toEqual({ statusCode: 431, error: 'Request Header Fields Too Large', message: expect.any(String) });
      const doc = ok(await call('GET', '/openapi.json', { token: null })) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
      expect(doc.paths[ROT]!.get!.responses['431']).toBeDefined();
    } finally {
      await real.close();
    }
  });
});
