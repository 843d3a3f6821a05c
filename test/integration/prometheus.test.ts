// Metrics and health: a real Prometheus (Debian's package) scrapes a worker process and an API process every second
// and evaluates deploy/prometheus/alerts.yml; a successful and a failed rotation show up through its query API,
// no password appears in anything scraped, and /healthz and /readyz answer as Kubernetes probes expect.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket, connect } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { ensureDebianPackage } from '../../dev/stack/debian-packages.js';
import { freePort, runOrThrow } from '../../dev/stack/process.js';
import { buildApi } from '../../src/api/server.js';
import { loadConfig } from '../../src/config.js';
import { projectRoot } from '../../src/data-dir.js';
import { openServiceContext } from '../../src/service/context.js';
import { ServiceError } from '../../src/service/errors.js';
import { createRotation, rotateRotation } from '../../src/service/rotations.js';
import { storedPasswords } from '../support/leak-scan.js';
import { rememberPasswords } from '../support/passwords.js';
import { logFile, openTestStack, stackEnv, type TestStack, type TestTarget } from '../support/stack.js';
import { type LoggedProcess, startLoggedProcess, workerLauncher } from '../support/worker-process.js';

const ALERTS = path.join(projectRoot, 'deploy', 'prometheus', 'alerts.yml');
const ALERT_TESTS = path.join(projectRoot, 'deploy', 'prometheus', 'alerts.test.yml');
const WEBHOOK_SECRET = 'prometheus-test-webhook-secret-0123456789';

let stack: TestStack;
let good: TestTarget;
let broken: TestTarget;
let promtool: string;
let prometheusUrl: string;
let workerMetrics: string;
let apiMetrics: string;
let apiUrl: string;
let promDir: string;
let receiver: Server;
let answeredHooks = 0;
const children: LoggedProcess[] = [];

/** `file args` with the test runner's environment under `env`, logged to `<name>.log`; stopped after the tests. */
function spawnLogged(name: string, file: string, args: string[], env: Record<string, string>): LoggedProcess {
  const child = startLoggedProcess(file, args, { env, inheritEnv: true, logFile: logFile(name) });
  children.push(child);
  return child;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

const statusOf = async (url: string) => (await get(url)).status;

/** Waits until `url` answers `status` (outside a test, where expect.poll is not available). */
async function waitForStatus(url: string, status: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await statusOf(url)) !== status) {
    if (Date.now() > until) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** An instant query through Prometheus's HTTP API. */
async function query(promql: string): Promise<Sample[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Polls a query until `expected` holds for its samples; a timeout shows the query and its last answer. */
async function until(promql: string, expected: (samples: Sample[]) => boolean, timeout = 30_000): Promise<Sample[]> {
  let last: Sample[] = [];
  await expect
    .poll(
      async () => {
        last = await query(promql);
        return expected(last) ? 'as expected' : `${promql} → ${JSON.stringify(last)}`;
      },
      { timeout, interval: 500 },
    )
    .toBe('as expected');
  return last;
}

beforeAll(async () => {
  // Never skipped: if the package cannot be installed, the test fails with the reason.
  const prometheus = await ensureDebianPackage('prometheus', '/usr/bin/prometheus');
  promtool = path.join(path.dirname(prometheus), 'promtool');
  stack = await openTestStack();
  good = await stack.newTarget('promok');
  broken = await stack.newTarget('promfail');

  // A webhook receiver that refuses the first delivery (so both outcomes are counted).
  receiver = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(answeredHooks++ === 0 ? 500 : 204).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookPort = (receiver.address() as { port: number }).port;

  const [workerPort, apiPort, apiMetricsPort, promPort] = await (async () => {
    const ports: number[] = [];
    for (let i = 0; i < 4; i++) ports.push(await freePort('127.0.0.1', ports));
    return ports as [number, number, number, number];
  })();
  workerMetrics = `http://127.0.0.1:${workerPort}`;
  apiMetrics = `http://127.0.0.1:${apiMetricsPort}`;
  apiUrl = `http://127.0.0.1:${apiPort}`;
  prometheusUrl = `http://127.0.0.1:${promPort}`;

  spawnLogged('worker-prometheus', workerLauncher, [], {
    ...stackEnv(),
    ROTATOR_METRICS_PORT: String(workerPort),
    ROTATOR_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hooks`,
    ROTATOR_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ROTATOR_WEBHOOK_RETRY_BASE_MS: '200',
  });
  const apiEnv = { ...stackEnv(), ROTATOR_API_PORT: String(apiPort), ROTATOR_METRICS_PORT: String(apiMetricsPort) };
  spawnLogged('api-prometheus', process.execPath, ['--import', 'tsx', 'src/api/main.ts'], apiEnv);

  promDir = path.join(inject('testDataDir'), `prometheus-${process.pid}`);
  await rm(promDir, { recursive: true, force: true });
  await mkdir(promDir, { recursive: true });
  const config = path.join(promDir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(ALERTS)}]`,
      'scrape_configs:',
      `  - { job_name: pg-rotator-worker, static_configs: [{ targets: ["127.0.0.1:${workerPort}"] }] }`,
      `  - { job_name: pg-rotator-api, static_configs: [{ targets: ["127.0.0.1:${apiMetricsPort}"] }] }`,
      '',
    ].join('\n'),
  );
  const prometheusArgs = [`--config.file=${config}`, `--storage.tsdb.path=${path.join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`];
  spawnLogged('prometheus', prometheus, prometheusArgs, {});
  await waitForStatus(`${prometheusUrl}/-/ready`, 200, 60_000);
  await waitForStatus(`${workerMetrics}/readyz`, 200, 120_000);
  await waitForStatus(`${apiUrl}/readyz`, 200, 60_000);
}, 300_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  if (stack) await rememberPasswords(stack.ctx.db);
  await stack?.close();
  await new Promise((r) => receiver?.close(r));
  if (promDir) await rm(promDir, { recursive: true, force: true });
});

it('Prometheus sees a successful and a failed rotation, the SDK metrics and the failure alert; nothing scraped holds a password', async () => {
  // A success: issue on create, then a manual rotation. A failure: the role the rotation would give a new
  // password to may no longer connect, so verifyLogin fails and the rotation gives up.
  const ok = await createRotation(stack.ctx, good.rotationInput(), 'test');
  expect((await rotateRotation(stack.ctx, ok.id, {}, 'test')).rotationStatus).toBe('success');
  const bad = await createRotation(stack.ctx, broken.rotationInput(), 'test');
  await stack.admin.query(`REVOKE CONNECT ON DATABASE ${pg.escapeIdentifier(broken.database)} FROM PUBLIC, ${pg.escapeIdentifier(broken.roles[1])}`);
  expect(await rotateRotation(stack.ctx, bad.id, {}, 'test').catch((e: unknown) => e)).toBeInstanceOf(ServiceError);

  const worker = '{job="pg-rotator-worker"}';
  const byOutcome = await until(`sum by (outcome) (pg_rotator_rotations_total${worker})`, (s) => s.length === 2 && s.every((x) => x.value >= 1));
  expect(Object.fromEntries(byOutcome.map((s) => [s.metric.outcome, s.value]))).toEqual({ success: 3, failure: 1 }); // 2 issues + 1 rotation; 1 failure
  await until(`pg_rotator_rotation_duration_seconds_count{job="pg-rotator-worker",outcome="success"}`, (s) => s[0]?.value === 3);

  // The failed step and its reason class (every retry of it counts; a revoked CONNECT is a configuration error).
  const failures = await until(`sum by (step, reason) (pg_rotator_step_failures_total${worker})`, (s) => s.some((x) => x.metric.step === 'verifyLogin'));
  expect(failures.map((f) => f.metric)).toEqual([{ step: 'verifyLogin', reason: 'ConfigurationError' }]);

  // Rotations in failed status, from both processes (read from the control database at scrape time).
  for (const job of ['pg-rotator-worker', 'pg-rotator-api']) {
    const failed = await until(`pg_rotator_rotation_failed{job="${job}"}`, (s) => s.some((x) => x.metric.rotation_id === bad.id && x.value === 1));
    expect(failed.find((x) => x.metric.rotation_id === ok.id)?.value).toBe(0);
    expect(failed.find((x) => x.metric.rotation_id === bad.id)?.metric).toMatchObject({ rotation: bad.name, project_id: broken.projectId });
    const byStatus = await query(`pg_rotator_rotations{job="${job}",status="failed"}`);
    expect(byStatus[0]?.value).toBeGreaterThanOrEqual(1);
  }
  const interval = await query(`pg_rotator_rotation_interval_seconds{job="pg-rotator-worker",rotation_id="${ok.id}"}`);
  expect(interval[0]?.value).toBe(30 * 86_400);
  const age = await query(`pg_rotator_credential_age_seconds{job="pg-rotator-worker",rotation_id="${ok.id}"}`);
  expect(age[0]?.value).toBeGreaterThanOrEqual(0);
  expect(age[0]?.value).toBeLessThan(3_600);
  const next = await query(`pg_rotator_next_rotation_seconds{job="pg-rotator-worker",rotation_id="${ok.id}"}`);
  expect(next[0]?.value).toBeGreaterThan(29 * 86_400);

  // The failure alert of deploy/prometheus/alerts.yml fires for the failed rotation only.
  const alerts = await until('ALERTS{alertname="PgRotatorRotationFailed",alertstate="firing"}', (s) => s.some((x) => x.metric.rotation_id === bad.id));
  expect(alerts.map((a) => a.metric.rotation_id)).not.toContain(ok.id);

  // Target connections per cluster (the connection's system identifier) and webhooks (one refused, then delivered).
  const clusters = await until(`pg_rotator_target_connections_in_use${worker}`, (s) => s.length > 0);
  expect(clusters.map((c) => c.metric.cluster)).toContain(good.connection.clusterId);
  const hooks = await until(`sum by (outcome) (pg_rotator_webhook_deliveries_total${worker})`, (s) => s.length === 2);
  expect(Object.fromEntries(hooks.map((s) => [s.metric.outcome, s.value]))).toEqual({ failed: 1, delivered: 1 });

  // The SDK runtime's own metrics, on the same endpoint, and the worker polling.
  await until(`temporal_num_pollers${worker}`, (s) => s.length > 0 && s.some((x) => x.value > 0));
  await until(`pg_rotator_worker_polling${worker}`, (s) => s[0]?.value === 1);

  // For the record (not asserted): what one scrape of each process costs.
  for (const name of ['scrape_duration_seconds', 'scrape_samples_scraped']) {
    const cost = await query(`${name}{job=~"pg-rotator-.*"}`);
    console.log(`[prometheus] ${name}: ${cost.map((c) => `${c.metric.job}=${c.value}`).join(', ')}`);
  }

  // No password, generated or of a connection, anywhere in what the two endpoints serve or Prometheus stored.
  const { generated, connections } = await storedPasswords(stack.ctx.db);
  expect(generated.length).toBeGreaterThanOrEqual(4);
  const scraped = [(await get(`${workerMetrics}/metrics`)).text, (await get(`${apiMetrics}/metrics`)).text];
  const series = await fetch(`${prometheusUrl}/api/v1/series?match[]=${encodeURIComponent('{job=~"pg-rotator-.*"}')}`).then((r) => r.text());
  expect(scraped[0]).toContain('pg_rotator_rotations_total');
  expect(series).toContain(bad.id);
  for (const text of [...scraped, series]) for (const secret of [...generated, ...connections]) expect(text.includes(secret)).toBe(false);
});

it('/healthz and /readyz: 200 when the control database and Temporal answer; 503 naming what does not', async () => {
  for (const base of [workerMetrics, apiUrl]) {
    expect(await get(`${base}/healthz`)).toEqual({ status: 200, text: JSON.stringify({ status: 'ok' }) });
    const ready = await get(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'ready', checks: { controlDatabase: { ok: true }, temporal: { ok: true } } });
  }
  expect(JSON.parse((await get(`${workerMetrics}/readyz`)).text).checks.worker).toEqual({ ok: true });
  // The API's probes need no token and are not part of its OpenAPI document; its metrics port serves only /metrics.
  const openapi = (await get(`${apiUrl}/openapi.json`)).text;
  expect(openapi).not.toContain('/readyz');
  expect(await statusOf(`${apiMetrics}/readyz`)).toBe(404);

  // An API whose control database is a port nobody listens on: not ready, and it says which check failed.
  const closed = await freePort();
  const badUrl = new URL(inject('databaseUrl'));
  badUrl.port = String(closed);
  const ctx = await openServiceContext(loadConfig({ ...stackEnv(), DATABASE_URL: badUrl.toString() }));
  const api = await buildApi({ ctx });
  try {
    const res = await api.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not ready', checks: { controlDatabase: { ok: false }, temporal: { ok: true } } });
    expect(res.json().checks.controlDatabase.error).toContain('ECONNREFUSED');
    expect(res.body).not.toContain(badUrl.password);
    expect((await api.inject({ url: '/healthz' })).statusCode).toBe(200);
  } finally {
    await api.close();
    await ctx.close();
  }

  // An API whose Temporal is a port nobody listens on: not ready, naming Temporal.
  const noTemporal = await openServiceContext(loadConfig({ ...stackEnv(), TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` }));
  const api2 = await buildApi({ ctx: noTemporal });
  try {
    const res = await api2.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not ready', checks: { controlDatabase: { ok: true }, temporal: { ok: false } } });
  } finally {
    await api2.close();
    await noTemporal.close();
  }

  // A worker process whose control database goes away after it started (through a TCP proxy that is shut).
  const real = new URL(inject('databaseUrl'));
  const sockets = new Set<Socket>();
  const proxy = createTcpServer((client) => {
    const upstream = connect(Number(real.port), real.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxied = new URL(real);
  proxied.port = String((proxy.address() as { port: number }).port);
  const port = await freePort();
  const w = spawnLogged('worker-prometheus-readyz', workerLauncher, [], { ...stackEnv(), DATABASE_URL: proxied.toString(), ROTATOR_METRICS_PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  await waitForStatus(`${base}/readyz`, 200, 120_000);
  await new Promise<void>((r) => {
    proxy.close(() => r());
    for (const s of sockets) s.destroy();
  });
  await waitForStatus(`${base}/readyz`, 503, 30_000);
  const body = JSON.parse((await get(`${base}/readyz`)).text);
  expect(body).toMatchObject({ status: 'not ready', checks: { controlDatabase: { ok: false }, temporal: { ok: true }, worker: { ok: true } } });
  expect(await statusOf(`${base}/healthz`)).toBe(200); // alive: not a reason to restart it
  await w.stop();
});

it('promtool accepts deploy/prometheus/alerts.yml and its unit tests pass', async () => {
  const checked = await runOrThrow('promtool check rules', promtool, ['check', 'rules', ALERTS]);
  expect(checked).toContain('SUCCESS: 3 rules found');
  const tested = await runOrThrow('promtool test rules', promtool, ['test', 'rules', ALERT_TESTS]);
  expect(tested).toContain('SUCCESS');
});
