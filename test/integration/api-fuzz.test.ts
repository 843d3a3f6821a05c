// Property-based robustness of the REST API (fast-check): thousands of random and mutated requests to every
// route — bodies, query strings, path parameters, headers, raw bytes, content types, oversize bodies — against
// the real stack. For every response: never a 5xx, and every error is `{ statusCode, error, message, details? }`
// with statusCode equal to the HTTP status. For every batch: no state change at all.
//
// How a request that happens to be valid is kept from changing state (the no-change assertion then holds for
// every request, none is excluded after the fact):
//   * The server validates bodies and query strings with the route's zod schema and nothing else (see
//     setValidatorCompiler in src/api/server.ts). Before sending a request to a state-changing route, the test
//     asks the same schema about every way the server could read the payload (JSON.parse of the bytes, whatever
//     the content type says). If the schema could accept it, the request is *neutralised*: sent to a target that
//     cannot be changed — a random, nonexistent id in the path or in `projectId` (→ 404), or for project create
//     (no id) the name of an existing project (→ 409). Validation still runs on it in full.
//   * Routes without a schema for what decides their effect (rotate-secrets, DELETE of a rotation whose query
//     parsing the test cannot mirror exactly) never get a real rotation id: only random UUIDs and junk.
//   * DELETE of the one connection gets its real id: a rotation uses it, so the server must refuse (409).
//   * A 2xx from any state-changing route fails the test (it would mean the schema oracle and the server differ).
// Reads (GET/HEAD) may succeed; secret and generated-credential reads write audit events, so the audit table is
// checked to grow by exactly the number of successful audited reads (rejected requests write none).
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.js';
import { createConnectionSchema, updateConnectionSchema } from '../../src/domain/connection-schemas.js';
import { createEnvironmentSchema, createProjectSchema } from '../../src/domain/project-schemas.js';
import { createRotationSchema, updateRotationSchema } from '../../src/domain/rotation-schemas.js';
import { createProject } from '../../src/service/projects.js';
import { createRotation, deleteRotation } from '../../src/service/rotations.js';
import { createToken } from '../../src/service/tokens.js';
import { WORKFLOW_TYPE } from '../../src/workflows/rotation-messages.js';
import { buildLoggedApi } from '../support/api.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

type Json = Record<string, unknown>;
type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE' | 'PUT' | 'OPTIONS';

interface Req {
  method: Method;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** The route can change state: it must not answer 2xx (every such request is neutralised or invalid). */
  mutating: boolean;
}

const ROT = '/api/v2/secret-rotations/postgres-credentials';
const CONN = '/api/v1/app-connections/postgres';
const PROJ = '/api/v1/projects';
const SECRETS = '/api/v3/secrets/raw';
const BODY_LIMIT = 64 * 1024;

let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApi>>;
const adminToken = randomBytes(32).toString('base64url');
let t: TestTarget;
let rotationId = '';
let projectName = '';
let otherProjectId = '';
let scopedReadToken = '';
let otherProjectToken = '';

const stats = { requests: 0, neutralised: 0, ok2xx: 0, byStatus: new Map<number, number>(), auditedReads: 0 };

// ---------------------------------------------------------------------------------------------------------
// State: row counts and checksums of every table a request could change, and the running workflows.

async function tableState(): Promise<Record<string, string>> {
  const tables: Record<string, string> = {
    rotations: 'SELECT r AS x FROM rotations r',
    connections: 'SELECT c AS x FROM connections c',
    secrets: 'SELECT s AS x FROM secrets s',
    secret_versions: 'SELECT v AS x FROM secret_versions v',
    credentials: 'SELECT c AS x FROM credentials c',
    projects: 'SELECT p AS x FROM projects p',
    environments: 'SELECT e AS x FROM environments e',
    folders: 'SELECT f AS x FROM folders f',
    // last_used_at is bookkeeping of authentication (written at most once a minute per token), not state a
    // request asks to change; every other column is compared.
    api_tokens: 'SELECT (id, name, project_id, actions, token_hash, created_at, revoked_at) AS x FROM api_tokens',
  };
  const parts = Object.entries(tables).map(
    ([name, q]) => `(SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM (${q}) t) AS ${name}`,
  );
  const { rows } = await stack.ctx.db.pool.query(`SELECT ${parts.join(', ')}`);
  return rows[0] as Record<string, string>;
}

async function auditCount(): Promise<number> {
  return (await stack.ctx.db.pool.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n as number;
}

async function runningWorkflows(): Promise<string> {
  const ids: string[] = [];
  for await (const w of stack.ctx.temporal.workflow.list({ query: `WorkflowType='${WORKFLOW_TYPE}' AND ExecutionStatus='Running'` })) ids.push(w.workflowId);
  return [...new Set(ids)].sort().join(',');
}

interface Snapshot {
  tables: Record<string, string>;
  audit: number;
  auditedReads: number;
  workflows: string;
}

async function snapshot(): Promise<Snapshot> {
  return { tables: await tableState(), audit: await auditCount(), auditedReads: stats.auditedReads, workflows: await runningWorkflows() };
}

async function expectUnchanged(before: Snapshot): Promise<void> {
  expect(await tableState()).toEqual(before.tables);
  expect(await auditCount()).toBe(before.audit + (stats.auditedReads - before.auditedReads));
  // Visibility is eventually consistent; a workflow started by mistake would show up within a few seconds.
  await expect.poll(runningWorkflows, { timeout: 5_000, interval: 250 }).toBe(before.workflows);
}

// ---------------------------------------------------------------------------------------------------------
// Sending and checking

const AUDITED = [new RegExp(`^${SECRETS}(/|$)`), new RegExp(`^${ROT}/[^/]+/generated-credentials$`)];

async function send(req: Req): Promise<void> {
  stats.requests += 1;
  const res = await app.inject({ method: req.method, url: req.url, headers: req.headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) });
  const status = res.statusCode;
  stats.byStatus.set(status, (stats.byStatus.get(status) ?? 0) + 1);
  const where = `${req.method} ${req.url.slice(0, 300)} → ${status} ${res.body.slice(0, 300)}`;
  expect(status, where).toBeLessThan(500);
  expect(status, where).toBeGreaterThanOrEqual(200);
  if (status < 300) {
    stats.ok2xx += 1;
    expect(req.mutating, `a state-changing request succeeded: ${where}`).toBe(false);
    if (AUDITED.some((p) => p.test(req.url.split('?')[0]!))) stats.auditedReads += 1;
    return;
  }
  if (req.method === 'HEAD') return; // no body
  expect(String(res.headers['content-type']), where).toMatch(/^application\/json/);
  let body: Json;
  try {
    body = JSON.parse(res.body) as Json;
  } catch {
    throw new Error(`error body is not JSON: ${where}`);
  }
  expect(Object.keys(body).filter((k) => !['statusCode', 'error', 'message', 'details', 'fix'].includes(k)), where).toEqual([]);
  expect(body.statusCode, where).toBe(status);
  expect(typeof body.error, where).toBe('string');
  expect(typeof body.message, where).toBe('string');
  if (body.details !== undefined) {
    expect(Array.isArray(body.details), where).toBe(true);
    for (const d of body.details as Json[]) {
      expect(Object.keys(d).sort(), where).toEqual(['field', 'message', 'rule']);
      expect([typeof d.field, typeof d.rule, typeof d.message], where).toEqual(['string', 'string', 'string']);
    }
  }
}

/** Every way the server could read these bytes as a body: JSON (whatever the content type says) or not at all. */
function readings(payload: string | Buffer | undefined): unknown[] {
  if (payload === undefined) return [undefined];
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  const out: unknown[] = [undefined, text];
  try {
    out.push(JSON.parse(text));
  } catch {
    // not JSON: the server cannot see an object either
  }
  return out;
}

const couldBeAccepted = (schema: z.ZodType, payload: string | Buffer | undefined) =>
  readings(payload).some((v) => schema.safeParse(v).success);

// ---------------------------------------------------------------------------------------------------------
// Generators

/** Valid bodies to start from (each accepted by its route's schema; checked in the first test). */
const bases = {
  createRotation: (): Json => ({
    ...t.rotationBody({ name: 'fuzz-new', secretsMapping: { username: 'FUZZ_U', password: 'FUZZ_P' } }),
    parameters: {
      username1: t.roles[0],
      username2: t.roles[1],
      rotationStatement: 'ALTER ROLE {{username}} WITH PASSWORD {{password}}',
      passwordRequirements: { length: 32, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 1 }, allowedSymbols: '-_.' },
    },
  }),
  updateRotation: (): Json => ({
    name: 'fuzz-renamed',
    description: 'changed',
    isAutoRotationEnabled: false,
    rotationInterval: 7,
    rotateAtUtc: { hours: 5, minutes: 30 },
    parameters: { username1: t.roles[0], username2: t.roles[1] },
    secretsMapping: { username: 'FUZZ_U2', password: 'FUZZ_P2' },
  }),
  createConnection: (): Json => ({
    name: 'fuzz-connection',
    description: 'fuzz',
    projectId: t.projectId,
    method: 'username-and-password',
    credentials: { host: '127.0.0.1', port: 5432, database: 'db', username: 'admin', password: 'pw', sslEnabled: false, sslRejectUnauthorized: true, sslCertificate: null },
  }),
  updateConnection: (): Json => ({ name: 'fuzz-conn-renamed', description: null, credentials: { host: 'localhost', port: 5433, password: 'other' } }),
  createProject: (): Json => ({ name: 'fuzz project' }),
  createEnvironment: (): Json => ({ slug: 'fuzz-env', name: 'Fuzz' }),
};

const nested = (depth: number, leaf: unknown): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

const SPECIAL_STRINGS = [
  '', ' ', '30', '0', '-1', '1e3', 'true', 'false', 'null', 'undefined', '00:00', '/', '..', '/a/../b', '{{password}}', '{{username}}',
  "'; DROP TABLE rotations; --", '"quoted"', '\u0000', '\u202e', '\ud800', '💥', 'É', 'A'.repeat(64), 'a'.repeat(65), 'x'.repeat(257),
  '3c90c3cc-0d44-4b50-8888-8dd25736052a', '__proto__', 'constructor', 'prototype', 'username-and-password', 'postgres',
];

const junk: fc.Arbitrary<unknown> = fc.oneof(
  { maxDepth: 2 },
  fc.constantFrom<unknown>(null, true, false, 0, -0, -1, 1, 1.5, 23, 24, 59, 60, 249, 250, 251, 3650, 3651, 65535, 65536, 2 ** 53, 1e308, -1e308),
  fc.double(),
  fc.integer(),
  fc.constantFrom(...SPECIAL_STRINGS),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>({}, [], [[]], { '': '' }),
  fc.tuple(fc.integer({ min: 10, max: 300 }), fc.jsonValue({ maxDepth: 1 })).map(([d, leaf]) => nested(d, leaf)),
);

type Path = (string | number)[];

function pathsOf(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (out.length > 200) return out;
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) pathsOf((v as Json)[k], [...prefix, k], out);
  return out;
}

function getAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Json)[k as string] : undefined), root);
}

/** Sets an own, enumerable property (so that "__proto__" is a key that JSON.stringify writes, not a prototype). */
function define(obj: object, key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  if (parent !== null && typeof parent === 'object') define(parent, path.at(-1)!, value);
  return root;
}

function dropAt(root: unknown, path: Path): unknown {
  if (path.length === 0) return undefined;
  const parent = getAt(root, path.slice(0, -1));
  if (Array.isArray(parent)) {
    // Not splice: a mutation may have defined an own `constructor` key on the array, which splice consults.
    const i = path.at(-1) as number;
    if (i < parent.length) parent.copyWithin(i, i + 1).length -= 1;
  }
  else if (parent !== null && typeof parent === 'object') delete (parent as Json)[path.at(-1) as string];
  return root;
}

type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'toString'; at: number }
  | { op: 'toNumber'; at: number }
  | { op: 'wrapArray'; at: number }
  | { op: 'addKey'; at: number; key: string; value: unknown }
  | { op: 'huge'; at: number; size: number; char: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: junk }),
  fc.record({ op: fc.constant('toString' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('toNumber' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('wrapArray' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('addKey' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'id', 'password', ''), fc.string({ maxLength: 20 })),
    value: fc.oneof(junk, fc.constant({ polluted: true }), fc.constant({ prototype: { polluted: true } })),
  }),
  fc.record({
    op: fc.constant('huge' as const),
    at: fc.nat(),
    size: fc.oneof(fc.integer({ min: 256, max: 4096 }), fc.integer({ min: 60_000, max: 70_000 })),
    char: fc.constantFrom('a', 'é', '💥', '\\', '"', '%00'),
  }),
);

function mutate(base: unknown, mutations: Mutation[]): unknown {
  let v: unknown = structuredClone(base);
  for (const m of mutations) {
    const paths = pathsOf(v);
    const path = paths[m.at % paths.length]!;
    const cur = getAt(v, path);
    switch (m.op) {
      case 'drop':
        v = dropAt(v, path);
        break;
      case 'set':
        v = setAt(v, path, structuredClone(m.value));
        break;
      case 'toString':
        v = setAt(v, path, typeof cur === 'object' ? JSON.stringify(cur) : String(cur));
        break;
      case 'toNumber':
        v = setAt(v, path, typeof cur === 'string' ? Number(cur) : typeof cur === 'boolean' ? Number(cur) : 1);
        break;
      case 'wrapArray':
        v = setAt(v, path, [cur]);
        break;
      case 'addKey': {
        const target = cur !== null && typeof cur === 'object' ? cur : v;
        if (target !== null && typeof target === 'object') define(target, m.key, structuredClone(m.value));
        else v = { [m.key]: m.value };
        break;
      }
      case 'huge':
        v = setAt(v, path, m.char.repeat(Math.ceil(m.size / m.char.length)));
        break;
    }
  }
  return v;
}

const tokenArb = fc.oneof(
  { weight: 12, arbitrary: fc.constant('admin') },
  { weight: 1, arbitrary: fc.constantFrom('none', 'garbage', 'scoped-read', 'other-project', 'basic', 'empty-bearer') },
);

function authHeader(kind: string): Record<string, string> {
  switch (kind) {
    case 'admin':
      return { authorization: `Bearer ${adminToken}` };
    case 'garbage':
      return { authorization: `Bearer pgr_${randomBytes(32).toString('base64url')}` };
    case 'scoped-read':
      return { authorization: `Bearer ${scopedReadToken}` };
    case 'other-project':
      return { authorization: `Bearer ${otherProjectToken}` };
    case 'basic':
      return { authorization: 'Basic YWRtaW46YWRtaW4=' };
    case 'empty-bearer':
      return { authorization: 'Bearer ' };
    default:
      return {};
  }
}

const jsonContentType = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;', 'application/vnd.api+json', 'text/json') },
);

const anyContentType = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'text/plain',
    'text/plain; charset=utf-8',
    'application/octet-stream',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'application/',
    ';',
    '*/*',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
);

/** A path parameter that is never a real id: a random UUID (→ 404) or junk (→ 400, 404 or 414). */
const fakeId = fc.oneof(
  { weight: 3, arbitrary: fc.uuid().map((u) => u) },
  { weight: 1, arbitrary: fc.constant('00000000-0000-0000-0000-000000000000') },
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 60 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom('%E0%A4%A', '%', '%%', '..', '.', '%2F', '%00', 'a%2Fb', '%C0%AF', 'x'.repeat(5000), encodeURIComponent('é'.repeat(2000))) },
);

const fresh = () => randomUUID();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Query strings: random key/value pairs, values from junk, repeated keys, raw URL-ish junk. */
function queryString(pairs: [string, string][], raw: string): string {
  const qs = new URLSearchParams();
  for (const [k, v] of pairs) qs.append(k, v);
  const encoded = qs.toString();
  return [encoded, raw].filter(Boolean).join('&');
}

const qValue = fc.oneof(fc.constantFrom(...SPECIAL_STRINGS), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.uuid());
const rawQuery = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9%&=+[\].~_-]{0,40}$/) },
);

/** A query built from a valid one: keep, drop or change each key, add keys, repeat keys. */
function mutatedQuery(valid: Record<string, string>) {
  const keys = Object.keys(valid);
  return fc
    .record({
      keep: fc.array(fc.oneof(fc.constant('keep'), fc.constant('drop'), fc.constant('change'), fc.constant('repeat')), { minLength: keys.length, maxLength: keys.length }),
      values: fc.array(qValue, { minLength: keys.length, maxLength: keys.length }),
      extra: fc.array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'version', 'projectId[]', '__proto__', 'constructor', 'key', 'environment'), fc.string({ maxLength: 10 })), qValue), { maxLength: 3 }),
      raw: rawQuery,
    })
    .map(({ keep, values, extra, raw }) => {
      const pairs: [string, string][] = [];
      keys.forEach((k, i) => {
        if (keep[i] === 'keep') pairs.push([k, valid[k]!]);
        else if (keep[i] === 'change') pairs.push([k, values[i]!]);
        else if (keep[i] === 'repeat') pairs.push([k, valid[k]!], [k, values[i]!]);
      });
      return queryString([...pairs, ...extra], raw);
    });
}

// ---------------------------------------------------------------------------------------------------------

describe('REST API fuzz: no 5xx, uniform error bodies, no state change from rejected requests', () => {
  const started = Date.now();
  let before: Snapshot;
  const perRoute: [string, number][] = [];

  beforeAll(async () => {
    stack = await openTestStack();
    await stack.startWorker('worker-api-fuzz');
    // Thousands of bad tokens on purpose: the failed-authentication limit would answer most of them with 429.
    app = await buildLoggedApi('api-fuzz', { ctx: stack.ctx, adminToken, authLimit: false });
    t = await stack.newTarget('fuzz');
    rotationId = (await createRotation(stack.ctx, t.rotationInput({ name: 'fuzz-rotation' }), 'test')).id;
    projectName = (await stack.ctx.db.pool.query('SELECT name FROM projects WHERE id = $1', [t.projectId])).rows[0].name as string;
    otherProjectId = (await createProject(stack.ctx, { name: `fuzz-other-${randomBytes(3).toString('hex')}` }, 'test')).id;
    scopedReadToken = (await createToken(stack.ctx, { name: 'fuzz-read', projectId: t.projectId, actions: ['read', 'read-secrets'] }, 'test')).token;
    otherProjectToken = (
      await createToken(stack.ctx, { name: 'fuzz-other', projectId: otherProjectId, actions: ['read', 'create', 'edit', 'delete', 'rotate', 'read-generated-credentials', 'read-secrets'] }, 'test')
    ).token;
    // Let every token's last_used_at and the rotation's workflow settle (its first run continues-as-new after
    // a short quiet period): then only requests could change anything.
    for (const token of [scopedReadToken, otherProjectToken]) await app.inject({ method: 'GET', url: PROJ, headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 40 && !(await runningWorkflows()).includes(`pg-rotation-${rotationId}`); i++) await sleep(250);
  });

  afterAll(async () => {
    if (rotationId) await deleteRotation(stack.ctx, rotationId, { deleteSecrets: true, revokeGeneratedCredentials: true }, 'test').catch(() => {});
    await app?.close();
    await stack?.close();
    const seconds = (Date.now() - started) / 1000;
    const statuses = [...stats.byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(
      `[api-fuzz.test] ${stats.requests} requests in ${seconds.toFixed(1)} s (incl. setup); ${stats.neutralised} neutralised, ` +
        `${stats.ok2xx} read successes (${stats.auditedReads} audited); statuses: ${statuses}\n` +
        perRoute.map(([name, n]) => `  ${name}: ${n}`).join('\n'),
    );
  });

  /** Runs a property as one batch and proves the batch changed nothing. */
  async function batch(name: string, numRuns: number, arb: fc.Arbitrary<Req>): Promise<void> {
    const start = stats.requests;
    before = await snapshot();
    await fc.assert(fc.asyncProperty(arb, send), { numRuns, endOnFailure: false });
    perRoute.push([name, stats.requests - start]);
    await expectUnchanged(before);
  }

  it('the base bodies are valid (so that every mutation starts from something the server accepts)', () => {
    expect(createRotationSchema.safeParse(bases.createRotation()).success).toBe(true);
    expect(updateRotationSchema.safeParse(bases.updateRotation()).success).toBe(true);
    expect(createConnectionSchema.safeParse(bases.createConnection()).success).toBe(true);
    expect(updateConnectionSchema.safeParse(bases.updateConnection()).success).toBe(true);
    expect(createProjectSchema.safeParse(bases.createProject()).success).toBe(true);
    expect(createEnvironmentSchema.safeParse(bases.createEnvironment()).success).toBe(true);
  });

  /**
   * A mutated JSON body for a state-changing route. `target(neutral)` gives the URL and, for a body the schema
   * could accept, a neutralised body (or URL).
   */
  function bodyRequests(opts: {
    method: Method;
    base: () => Json;
    schema: z.ZodType;
    /** URL for a real target, or (neutral) one that cannot change anything. */
    url: (neutral: boolean) => string;
    /** Optionally neutralises the body itself (create routes: an unknown projectId or a taken name). */
    neutraliseBody?: (body: Json) => Json;
  }): fc.Arbitrary<Req> {
    return fc
      .record({
        mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
        token: tokenArb,
        contentType: jsonContentType,
        pretty: fc.boolean(),
      })
      .map(({ mutations, token, contentType, pretty }) => {
        let body = mutate(opts.base(), mutations);
        let payload = body === undefined ? '' : JSON.stringify(body, null, pretty ? 2 : undefined);
        let neutral = false;
        if (couldBeAccepted(opts.schema, payload)) {
          stats.neutralised += 1;
          if (opts.neutraliseBody) {
            body = opts.neutraliseBody(JSON.parse(payload) as Json);
            payload = JSON.stringify(body);
          } else neutral = true;
        }
        return { method: opts.method, url: opts.url(neutral), headers: { ...authHeader(token), 'content-type': contentType }, payload, mutating: true };
      });
  }

  it('POST rotations: mutated seed-style bodies', async () => {
    await batch(
      'POST rotations',
      1500,
      bodyRequests({ method: 'POST', base: bases.createRotation, schema: createRotationSchema, url: () => ROT, neutraliseBody: (b) => ({ ...b, projectId: fresh() }) }),
    );
  });

  it('PATCH rotations/:id: mutated patches (real id only when the schema rejects the body)', async () => {
    await batch(
      'PATCH rotations/:id',
      1500,
      bodyRequests({ method: 'PATCH', base: bases.updateRotation, schema: updateRotationSchema, url: (neutral) => `${ROT}/${neutral ? fresh() : rotationId}` }),
    );
  });

  it('POST app-connections and PATCH app-connections/:id', async () => {
    await batch(
      'POST app-connections',
      1000,
      bodyRequests({ method: 'POST', base: bases.createConnection, schema: createConnectionSchema, url: () => CONN, neutraliseBody: (b) => ({ ...b, projectId: fresh() }) }),
    );
    await batch(
      'PATCH app-connections/:id',
      1000,
      bodyRequests({ method: 'PATCH', base: bases.updateConnection, schema: updateConnectionSchema, url: (neutral) => `${CONN}/${neutral ? fresh() : t.connection.id}` }),
    );
  });

  it('POST projects and POST projects/:id/environments', async () => {
    await batch(
      'POST projects',
      800,
      // A body the schema accepts gets the name of an existing project: a 409, inside a rolled-back transaction.
      bodyRequests({ method: 'POST', base: bases.createProject, schema: createProjectSchema, url: () => PROJ, neutraliseBody: () => ({ name: projectName }) }),
    );
    await batch(
      'POST projects/:id/environments',
      800,
      bodyRequests({ method: 'POST', base: bases.createEnvironment, schema: createEnvironmentSchema, url: (neutral) => `${PROJ}/${neutral ? fresh() : t.projectId}/environments` }),
    );
  });

  it('query strings and path parameters of every read route', async () => {
    const q = { projectId: t.projectId, environment: 'dev', secretPath: '/' };
    const routes: [string, fc.Arbitrary<string>][] = [
      ['GET rotations?projectId', mutatedQuery({ projectId: t.projectId }).map((s) => `${ROT}?${s}`)],
      ['GET rotations/rotation-name/:name', fc.tuple(fc.oneof(fc.constant('fuzz-rotation'), fakeId), mutatedQuery(q)).map(([n, s]) => `${ROT}/rotation-name/${n}?${s}`)],
      ['GET rotations/:id', fc.tuple(fc.oneof(fc.constant(rotationId), fakeId), rawQuery).map(([id, s]) => `${ROT}/${id}${s ? `?${s}` : ''}`)],
      ['GET rotations/:id/generated-credentials', fc.oneof(fc.constant(rotationId), fakeId).map((id) => `${ROT}/${id}/generated-credentials`)],
      ['GET app-connections?projectId', mutatedQuery({ projectId: t.projectId }).map((s) => `${CONN}?${s}`)],
      ['GET app-connections/:id', fc.oneof(fc.constant(t.connection.id), fakeId).map((id) => `${CONN}/${id}`)],
      ['GET projects, projects/:id', fc.oneof(fc.constant(''), fc.constant(`/${t.projectId}`), fakeId.map((id) => `/${id}`)).map((p) => `${PROJ}${p}`)],
      ['GET secrets/raw', mutatedQuery(q).map((s) => `${SECRETS}?${s}`)],
      [
        'GET secrets/raw/:name',
        fc
          .tuple(fc.oneof(fc.constantFrom('POSTGRES_DB_USERNAME', 'POSTGRES_DB_PASSWORD'), fakeId), mutatedQuery({ ...q, version: '1' }))
          .map(([n, s]) => `${SECRETS}/${n}?${s}`),
      ],
    ];
    for (const [name, urls] of routes) {
      await batch(
        name,
        name.includes(':id') && !name.includes('projects') ? 500 : 900,
        fc.record({ url: urls, token: tokenArb, head: fc.boolean() }).map(({ url, token, head }) => ({
          method: head && !url.includes('generated-credentials') ? 'HEAD' : 'GET',
          url,
          headers: authHeader(token),
          mutating: false,
        })),
      );
    }
  });

  it('DELETE rotations/:id, POST rotate-secrets, DELETE app-connections/:id: query strings, ids and bodies', async () => {
    await batch(
      'DELETE rotations/:id',
      800,
      // Never the real rotation: only validation (400) and unknown ids (404).
      fc
        .record({ id: fakeId, q: mutatedQuery({ deleteSecrets: 'true', revokeGeneratedCredentials: 'false' }), token: tokenArb })
        .map(({ id, q, token }) => ({ method: 'DELETE' as const, url: `${ROT}/${id}?${q}`, headers: authHeader(token), mutating: true })),
    );
    await batch(
      'POST rotations/:id/rotate-secrets',
      600,
      fc
        .record({ id: fakeId, body: fc.option(junk), ct: anyContentType, token: tokenArb })
        .map(({ id, body, ct, token }) => ({
          method: 'POST' as const,
          url: `${ROT}/${id}/rotate-secrets`,
          headers: { ...authHeader(token), ...(ct !== undefined ? { 'content-type': ct } : {}) },
          ...(body !== null ? { payload: JSON.stringify(body) ?? '' } : {}),
          mutating: true,
        })),
    );
    await batch(
      'DELETE app-connections/:id',
      500,
      // The real connection is used by the rotation: the server must refuse (409); junk and unknown ids too.
      fc
        .record({ id: fc.oneof(fc.constant(t.connection.id), fakeId), q: rawQuery, token: tokenArb })
        .map(({ id, q, token }) => ({ method: 'DELETE' as const, url: `${CONN}/${id}${q ? `?${q}` : ''}`, headers: authHeader(token), mutating: true })),
    );
  });

  it('random bytes, wrong content types and oversize bodies to every route with a body', async () => {
    // neutralise: 'id' sends a body the schema could accept to a random id (404); 'body' replaces it by an
    // object with an unknown field (400) on create routes, which have no id.
    const targets: { method: Method; url: (neutral: boolean) => string; schema: z.ZodType | null; neutralise?: 'id' | 'body' }[] = [
      { method: 'POST', url: () => ROT, schema: createRotationSchema, neutralise: 'body' },
      { method: 'PATCH', url: (n) => `${ROT}/${n ? fresh() : rotationId}`, schema: updateRotationSchema, neutralise: 'id' },
      { method: 'POST', url: () => `${ROT}/${fresh()}/rotate-secrets`, schema: null },
      { method: 'DELETE', url: () => `${ROT}/${fresh()}`, schema: null },
      { method: 'POST', url: () => CONN, schema: createConnectionSchema, neutralise: 'body' },
      { method: 'PATCH', url: (n) => `${CONN}/${n ? fresh() : t.connection.id}`, schema: updateConnectionSchema, neutralise: 'id' },
      { method: 'DELETE', url: () => `${CONN}/${t.connection.id}`, schema: null },
      { method: 'POST', url: () => PROJ, schema: createProjectSchema, neutralise: 'body' },
      { method: 'POST', url: (n) => `${PROJ}/${n ? fresh() : t.projectId}/environments`, schema: createEnvironmentSchema, neutralise: 'id' },
    ];
    const payload = fc.oneof(
      { weight: 6, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)) },
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 500 }) },
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? '') },
      { weight: 2, arbitrary: fc.constantFrom('', '{', '}', '{"a":', '[', 'null', '"str"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\ufeff{}', '{"name":"a"}{"name":"b"}', 'NaN', '1e999999') },
      { weight: 1, arbitrary: fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT + 8192 }).map((n) => Buffer.alloc(n, 0x61)) },
      { weight: 1, arbitrary: fc.integer({ min: BODY_LIMIT - 16, max: BODY_LIMIT + 4096 }).map((n) => JSON.stringify({ name: 'a'.repeat(n) })) },
    );
    await batch(
      'raw bodies × 9 routes',
      2500,
      fc.record({ which: fc.nat({ max: targets.length - 1 }), payload, ct: anyContentType, token: tokenArb }).map(({ which, payload, ct, token }) => {
        const target = targets[which]!;
        const neutral = target.schema !== null && couldBeAccepted(target.schema, payload);
        if (neutral) stats.neutralised += 1;
        const url = target.url(neutral && target.neutralise === 'id');
        const safePayload = neutral && target.neutralise === 'body' ? '{"fuzz": "neutralised"}' : payload;
        return { method: target.method, url, headers: { ...authHeader(token), ...(ct !== undefined ? { 'content-type': ct } : {}) }, payload: safePayload, mutating: true };
      }),
    );
  });

  it('random methods and paths under every prefix', async () => {
    const prefixes = [ROT, CONN, PROJ, SECRETS, '/api/v2', '/api', '/', '/docs', '/openapi.json', '/api/status'];
    await batch(
      'random method × path',
      1500,
      fc
        .record({
          method: fc.constantFrom<Method>('GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS'),
          prefix: fc.constantFrom(...prefixes),
          segments: fc.array(fc.oneof(fakeId, fc.constantFrom('rotate-secrets', 'generated-credentials', 'rotation-name', 'environments', 'raw', '..', '')), { maxLength: 3 }),
          q: rawQuery,
          token: tokenArb,
          body: fc.option(fc.jsonValue({ maxDepth: 2 })),
        })
        .map(({ method, prefix, segments, q, token, body }) => {
          const url = `${prefix}${segments.map((s) => `/${s}`).join('')}`.replace(/^\/\//, '/');
          // Paths that could reach a state-changing handler with a real target cannot occur: every id here is fake,
          // and bodies to create routes are plain JSON values that the schemas reject (checked below).
          const payload = body === null || method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(body);
          const mutating = method !== 'GET' && method !== 'HEAD';
          return { method, url: `${url}${q ? `?${q}` : ''}`, headers: { ...authHeader(token), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, payload, mutating };
        })
        .filter((req) => {
          // A create route (no id in its path) with a body its schema could accept would create something.
          if (!req.mutating) return true;
          // As the server will see it: dot segments resolved, a trailing slash ignored.
          const path = new URL(`http://localhost${req.url}`).pathname.replace(/\/+$/, '');
          const schema = path === ROT ? createRotationSchema : path === CONN ? createConnectionSchema : path === PROJ ? createProjectSchema : null;
          return !(schema && couldBeAccepted(schema, req.payload));
        }),
    );
  });
});
