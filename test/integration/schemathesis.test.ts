// Schemathesis (pinned, in the project venv: dev/stack/schemathesis.ts) against the API on a real port, driven by
// the API's own OpenAPI document (/openapi.json): every operation, positive and negative data, the coverage
// phase's boundary values and unexpected methods, then fuzzing until the time budget is spent.
//
// Checks: no 5xx (not_a_server_error); every response matches its documented status, content type, headers and
// schema; schema-violating requests are rejected (negative_data_rejection, with 413 an accepted refusal: the
// body limit is below what the JSON schema alone allows; and 431: over-long query values can push the request
// line past Node's 16 KB header limit); a missing or ignored Authorization header is a 401;
// undocumented methods get 405. Not checked: positive_data_acceptance — the document cannot express every rule
// (control characters, "at least one field", cross-field rules, ids that must exist), so schema-valid requests
// are legitimately refused with 400/404.
//
// Real resources: a project, a connection and one real (issued) rotation exist first. Their ids and names are
// given to schemathesis (dictionaries, half of the draws) for reads, for DELETE of the connection (in use: must
// be refused with 409) and as projectId/connectionId in create bodies (so creation gets past the lookups and
// into the role checks on the target, which the generated roles fail). Never for PATCH/DELETE of the rotation,
// PATCH of the connection, rotate-secrets or any other call that would legitimately change them, and values seen
// in responses are not reused (extra-data-sources off; no stateful phase).
//
// No state change from a rejected request: the control database (row counts and checksums of every table) is
// compared before and after. The only requests that may succeed and change state are POST /api/v1/projects
// (a project with its default environments, audited) and audited reads; both are accounted for from the HAR
// report of every request sent. Anything else that differs fails the test.
//
// Network: creating or changing a connection logs in to the host in the body. Everything here must stay on
// this machine, so pg connections to anything but loopback are refused in this process (see guardPgConnect)
// the way a server refuses a client it does not accept (SQLSTATE 28000): the API answers 400 "credentials must
// log in". (A host that cannot be reached at all is a 503, which the no-5xx check would count against the API.)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSchemathesis } from '../../dev/stack/schemathesis.js';
import { createRotation } from '../../src/service/rotations.js';
import { buildLoggedApi } from '../support/api.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

/** Time budget of the schemathesis run (its coverage phase, then fuzzing until the budget is spent). */
const MAX_TIME_S = Number(process.env.SCHEMATHESIS_MAX_TIME ?? 70);
const MAX_EXAMPLES = 30;
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'missing_required_header',
  'ignored_auth',
  'unsupported_method',
];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let stack: TestStack;
let app: Awaited<ReturnType<typeof buildLoggedApi>>;
let target: TestTarget;
let rotation: { id: string; name: string };
let base = '';
let dir = '';
const adminToken = randomBytes(32).toString('base64url');
let refusedConnects = 0;

/** pg connections to anything but loopback (or a local socket) fail at once, as a server refusing this client does. */
function guardPgConnect(): () => void {
  const proto = pg.Client.prototype as unknown as { connect: (cb?: (err?: Error) => void) => Promise<void> | void; host?: string };
  const original = proto.connect;
  proto.connect = function (this: { host?: string }, cb?: (err?: Error) => void) {
    const host = this.host ?? '';
    const local = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
    if (!local) {
      refusedConnects += 1;
      const err = Object.assign(new Error(`no pg_hba.conf entry for host "${host}" (test guard: only loopback)`), { code: '28000' });
      if (cb) return void process.nextTick(cb, err);
      return Promise.reject(err);
    }
    return original.call(this, cb);
  };
  return () => {
    proto.connect = original;
  };
}

// ---------------------------------------------------------------------------------------------------------
// State of the control database

const TABLES = ['projects', 'environments', 'folders', 'connections', 'rotations', 'credentials', 'secrets', 'secret_versions', 'api_tokens', 'webhook_deliveries'];

async function tableState(excludeProjects: string[] = []): Promise<Record<string, string>> {
  const db = stack.ctx.db.pool;
  const { rows: present } = await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY($1)", [TABLES]);
  const out: Record<string, string> = {};
  for (const { t } of present) {
    // Rows of projects created by accepted POST /api/v1/projects (and their environments) are accounted for separately.
    const where = t === 'projects' ? 'WHERE NOT (x.id = ANY($1::uuid[]))' : t === 'environments' ? 'WHERE NOT (x.project_id = ANY($1::uuid[]))' : '';
    // last_used_at is authentication bookkeeping, not state a request asks to change.
    const row = t === 'api_tokens' ? '(x.id, x.name, x.project_id, x.actions, x.token_hash, x.created_at, x.revoked_at)' : 'x';
    const { rows } = await db.query(
      `SELECT count(*) || ':' || md5(coalesce(string_agg(${row}::text, '|' ORDER BY ${row}::text), '')) AS s FROM ${pg.escapeIdentifier(t)} x ${where}`,
      where ? [excludeProjects] : [],
    );
    out[t] = rows[0].s as string;
  }
  return out;
}

async function auditSince(id: number): Promise<{ action: string; project_id: string | null; details: unknown }[]> {
  const { rows } = await stack.ctx.db.pool.query('SELECT action, project_id, details FROM audit_events WHERE id > $1 ORDER BY id', [id]);
  return rows as { action: string; project_id: string | null; details: unknown }[];
}

// ---------------------------------------------------------------------------------------------------------
// Configuration

const toml = (v: unknown) => JSON.stringify(v); // TOML basic strings and arrays of them are JSON-compatible

/** Which real values an operation may be given (see the file comment); none for anything that could change them. */
function bindingsFor(method: string, route: string): Record<string, string> {
  const m = method.toUpperCase();
  const b: Record<string, string> = {};
  if (m === 'GET') {
    for (const p of ['rotationId', 'connectionId', 'projectId', 'secretName']) if (route.includes(`{${p}}`)) b[`path.${p}`] = p;
    if (route.endsWith('/rotation-name/{name}')) b['path.name'] = 'rotationName';
    for (const q of ['projectId', 'environment', 'secretPath', 'rotationId', 'connectionId']) b[`query.${q}`] = q;
  } else if (m === 'DELETE' && route === '/api/v1/app-connections/postgres/{connectionId}') {
    b['path.connectionId'] = 'connectionId';
  } else if (m === 'POST' && route === '/api/v1/app-connections/postgres') {
    b['body.projectId'] = 'projectId';
  } else if (m === 'POST' && route === '/api/v2/secret-rotations/postgres-credentials') {
    Object.assign(b, { 'body.projectId': 'projectId', 'body.connectionId': 'connectionId', 'body.environment': 'environment' });
  }
  return b;
}

async function writeConfig(doc: Json): Promise<string> {
  const dictionaries: Record<string, string[]> = {
    projectId: [target.projectId],
    connectionId: [target.connection.id],
    rotationId: [rotation.id],
    rotationName: [rotation.name],
    environment: ['dev'],
    secretPath: ['/'],
    secretName: ['POSTGRES_DB_USERNAME', 'POSTGRES_DB_PASSWORD'],
  };
  const lines = [
    'headers = { Authorization = "Bearer ${ST_ADMIN_TOKEN}" }', // read from the environment, never an argument
    '',
    '[checks.negative_data_rejection]',
    'expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, 431]',
    '',
    ...['examples', 'coverage', 'fuzzing'].flatMap((phase) => [`[phases.${phase}.extra-data-sources]`, 'responses = false', '']),
    ...Object.entries(dictionaries).flatMap(([name, values]) => [`[dictionaries.${name}]`, `values = ${toml(values)}`, '']),
  ];
  let bound = 0;
  for (const [route, item] of Object.entries(doc.paths as Json)) {
    for (const method of Object.keys(item as Json)) {
      const bindings = bindingsFor(method, route);
      if (Object.keys(bindings).length === 0) continue;
      bound += 1;
      const params = Object.entries(bindings).map(([key, dict]) => `${toml(key)} = { dictionary = ${toml(dict)}, probability = 0.5 }`);
      lines.push('[[operations]]', `include-name = ${toml(`${method.toUpperCase()} ${route}`)}`, `parameters = { ${params.join(', ')} }`, '');
    }
  }
  expect(bound).toBeGreaterThanOrEqual(12);
  const file = path.join(dir, 'schemathesis.toml');
  await writeFile(file, lines.join('\n'));
  return file;
}

/** Runs `st` to completion (killed after `hardLimitMs`); the whole output is kept in a file next to the report. */
function runSchemathesis(st: string, args: string[], hardLimitMs: number): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(st, args, { cwd: dir, env: { ...process.env, ST_ADMIN_TOKEN: adminToken, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), hardLimitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      void writeFile(path.join(dir, 'output.txt'), output).finally(() => resolve({ code, output, ms: Date.now() - started }));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------

let restoreConnect: () => void = () => {};
let st = '';

beforeAll(async () => {
  st = await ensureSchemathesis(); // normally installed already by `npm test` (scripts/test.sh)
  restoreConnect = guardPgConnect();
  stack = await openTestStack();
  await stack.startWorker('worker-schemathesis');
  target = await stack.newTarget('st');
  const view = await createRotation(stack.ctx, target.rotationInput(), 'test');
  rotation = { id: view.id, name: view.name };
  // Every request of this test carries the admin token; ignored_auth and missing_required_header send requests
  // without it on purpose, so the failed-authentication limit (tested in test/unit/api-safety.test.ts) is off.
  app = await buildLoggedApi('api-schemathesis', { ctx: stack.ctx, adminToken, authLimit: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  dir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-schemathesis-'));
});

afterAll(async () => {
  await app?.close();
  await stack?.close();
  restoreConnect();
  // The report holds every response, generated credentials included: it does not outlive the test.
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Schemathesis against /openapi.json', () => {
  it('every operation: no 5xx, responses match the document, bad input refused, no state change from a refused request', async () => {
    const started = Date.now();
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as Json;
    const config = await writeConfig(doc);
    const operations = Object.values(doc.paths as Json).reduce((n: number, item) => n + Object.keys(item as Json).length, 0);

    const { rows: maxRow } = await stack.ctx.db.pool.query('SELECT coalesce(max(id), 0)::bigint AS id FROM audit_events');
    const auditFrom = Number(maxRow[0].id);
    const before = await tableState();

    const seed = process.env.SCHEMATHESIS_SEED;
    const args = [
      '--config-file', config,
      'run', `${base}/openapi.json`,
      '--checks', CHECKS.join(','),
      '--phases', 'examples,coverage,fuzzing',
      '--max-examples', String(MAX_EXAMPLES),
      '--max-time', String(MAX_TIME_S),
      // One worker: CPython 3.11's AST recursion counter is not thread-safe, and hypothesis compiles code
      // while generating ("SystemError: AST constructor recursion depth mismatch" with several workers).
      '--workers', '1',
      '--request-timeout', '30',
      '--generation-database', 'none',
      '--report', 'har',
      '--report-dir', dir,
      '--no-color',
      ...(seed ? ['--seed', seed] : []),
    ];
    const result = await runSchemathesis(st, args, (MAX_TIME_S + 90) * 1000);
    const summary = result.output.slice(result.output.lastIndexOf('\nAPI Operations:') + 1 || -4000);

    // Every request schemathesis sent, from its HAR report.
    const harFile = (await readdir(dir)).find((f) => f.startsWith('har') && f.endsWith('.json'));
    expect(harFile, result.output.slice(-4000)).toBeDefined();
    const entries = (JSON.parse(await readFile(path.join(dir, harFile!), 'utf8')) as Json).log.entries as Json[];
    const byStatus = new Map<number, number>();
    const created: string[] = [];
    let auditedReads = 0;
    const unexpected: string[] = [];
    for (const e of entries) {
      const status = e.response.status as number;
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (status < 200 || status >= 300) continue;
      const method = (e.request.method as string).toUpperCase();
      const route = new URL(e.request.url as string).pathname.replace(/\/$/, '');
      if (method === 'POST' && route === '/api/v1/projects') created.push((JSON.parse(e.response.content.text as string) as Json).project.id as string);
      else if (method === 'GET' || method === 'HEAD') {
        // HEAD runs the GET handler, audit included.
        if (/^\/api\/v3\/secrets\/raw(\/|$)|\/(generated-credentials|check)$/.test(route)) auditedReads += 1;
      } else unexpected.push(`${method} ${route} → ${status}`);
    }
    const statuses = Object.fromEntries([...byStatus].sort(([a], [b]) => a - b));
    console.log(
      `[schemathesis] ${operations} operations, ${entries.length} requests in ${result.ms} ms (test ${Date.now() - started} ms); ` +
        `statuses ${JSON.stringify(statuses)}; projects created ${created.length}, audited reads ${auditedReads}, ` +
        `connections to non-loopback hosts refused ${refusedConnects}\n${summary}`,
    );

    expect(result.code, result.output.slice(-20_000)).toBe(0);
    expect(entries.length).toBeGreaterThan(operations * 10);
    expect([...byStatus.keys()].filter((s) => s >= 500)).toEqual([]);
    expect(unexpected, 'only project creation may change state').toEqual([]);

    // No state change except what the accepted requests did.
    expect(await tableState(created)).toEqual(before);
    const audit = await auditSince(auditFrom);
    const reads = audit.filter((a) => ['secrets.read', 'rotation.generated-credentials-read', 'rotation.checked'].includes(a.action));
    const ofCreated = audit.filter((a) => ['project.created', 'environment.created'].includes(a.action) && created.includes(a.project_id ?? ''));
    // A create the target refused (preflight, 400) was recorded and removed again: the audit trail keeps that
    // attempt as a rotation.created / rotation.deleted ("issue failed") pair, and nothing else of it remains.
    const undone = (a: { action: string; details: unknown }) => (a.details as { name?: string; reason?: string }).name;
    const refusedCreates = audit.filter((a) => a.action === 'rotation.deleted' && (a.details as { reason?: string }).reason === 'issue failed').map(undone);
    const attempt = audit.filter((a) => ['rotation.created', 'rotation.deleted'].includes(a.action) && refusedCreates.includes(undone(a)));
    expect(attempt.length).toBe(refusedCreates.length * 2);
    expect(audit.filter((a) => !reads.includes(a) && !ofCreated.includes(a) && !attempt.includes(a))).toEqual([]);
    expect(reads.length).toBe(auditedReads);
    expect(ofCreated.filter((a) => a.action === 'project.created').length).toBe(created.length);

    // The server is still there.
    expect((await fetch(`${base}/api/status`)).status).toBe(200);
  }, (MAX_TIME_S + 100) * 1000);
});
