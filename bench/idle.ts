/**
 * N rotations created and asleep (auto-rotation on, next due in 30 days), with the worker as its own process:
 * the worker's RSS, the Temporal server's RSS, the control database's size, the events in a workflow's current run,
 * list p50 through the REST API (real socket), and how long a restarted worker takes to answer a query on one
 * rotation.
 *
 *   npm run bench:idle       (ROTATIONS=10000 by default; REAL_CREATES=500; CREATE_CONCURRENCY=20; LIST_REQUESTS=20;
 *                             SETTLE_MS=15000)
 *
 * The first REAL_CREATES rotations are created through the service's createRotation, the path of the API and CLI:
 * a row, a workflow started with an update that waits until the workflow has issued both credentials on the target
 * (two roles per rotation, one target database on the stack's cluster). The rest are seeded: a row with an issued
 * state and a workflow started from it (as a continue-as-new run starts). Either way each is a real workflow on the
 * real dev server, asleep until its due time, that the worker has run.
 *
 * Last line: `idle: N=<n> worker_rss_mb=<m> temporal_rss_mb=<t> events_per_run=<e> list_p50_ms=<l> list_page_p50_ms=<p>`
 * (list_p50_ms: every rotation in one response; list_page_p50_ms: a page of 100 with limit/offset)
 * (worker_rss_mb: the worker that created them, once idle; events_per_run: the largest current run of a sample).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { buildApi } from '../src/api/server.js';
import { createConnectionSchema } from '../src/domain/connection-schemas.js';
import { newRotationConfig } from '../src/domain/rotation-config.js';
import { createRotationSchema } from '../src/domain/rotation-schemas.js';
import { initialRotationState, type RotationConfig, type RotationState } from '../src/domain/rotation-types.js';
import { computeNextRotationAt } from '../src/domain/schedule.js';
import { addConnection } from '../src/service/connections.js';
import { createProject, requireEnvironment } from '../src/service/projects.js';
import { createRotation } from '../src/service/rotations.js';
import { ensureFolder, insertRotation, saveRotationState } from '../src/store/rotations.js';
import { getRotationQuery, rotationWorkflowId, TASK_QUEUE, WORKFLOW_TYPE } from '../src/workflows/rotation-messages.js';
import { cpuMs, openBenchStack, percentile, prebuiltBundle, rssMb, temporalServerPid } from './bench-stack.js';
import { inParallel } from '../test/support/in-parallel.js';
import { startWorkerProcess } from '../test/support/worker-process.js';
import { freePort } from '../dev/stack/process.js';

const N = Number(process.env.ROTATIONS ?? 10_000);
const CREATE_CONCURRENCY = Number(process.env.CREATE_CONCURRENCY ?? 20);
const REAL = Number(process.env.REAL_CREATES ?? 500);
const SEED_CONCURRENCY = 50;
const LIST_REQUESTS = Number(process.env.LIST_REQUESTS ?? 20);
const PAGE = 100;
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 15_000);
const EVENT_SAMPLE = 20;
const DB = 'idle';
const LIST_ROUTE = '/api/v2/secret-rotations/postgres-credentials';

const q = pg.escapeIdentifier;

/** The worker's memory as its /metrics reports it (prom-client's Node.js defaults), in MB. */
async function workerMemory(port: number) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return { heapTotal: value('nodejs_heap_size_total_bytes'), heapUsed: value('nodejs_heap_size_used_bytes'), external: value('nodejs_external_memory_bytes') };
}

/** Waits until `pid` uses under 5% of a core over 5 s; returns how long that took. */
async function untilIdle(pid: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const before = cpuMs(pid);
    await sleep(5_000);
    if (cpuMs(pid) - before < 250 || performance.now() - t0 > 30 * 60_000) return performance.now() - t0;
  }
}

/** The state a rotation has once issued (what its publish records), due again after its interval. */
function issuedState(rotationId: string, config: RotationConfig, now: string): RotationState {
  const next = computeNextRotationAt({
    rotationId,
    isAutoRotationEnabled: config.isAutoRotationEnabled,
    rotationInterval: config.rotationInterval,
    rotateAtUtc: config.rotateAtUtc,
    rotationWindowMinutes: config.rotationWindowMinutes,
    lastRotatedAt: Date.parse(now),
    createdAt: Date.parse(config.createdAt),
    lastFailedAt: null,
  });
  return {
    ...initialRotationState(now),
    activeIndex: 0,
    generation: 2,
    rotationStatus: 'success',
    lastRotationAttemptedAt: now,
    lastRotatedAt: now,
    nextRotationAt: next === null ? null : new Date(next).toISOString(),
  };
}
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const { stack, dir, env, ctx, close } = await openBenchStack('bench-idle', { worker: 'process' });
  const adminToken = randomBytes(32).toString('base64url');
  const app = await buildApi({ ctx, adminToken });
  const bundle = await prebuiltBundle(dir);
  // Its metrics port shows where the worker's memory is (V8 heap of the main thread, external buffers).
  const metricsPort = await freePort();
  const workerEnv = { ...env, ROTATOR_WORKFLOW_BUNDLE: bundle, ROTATOR_METRICS_PORT: String(metricsPort) };
  let worker = startWorkerProcess({ env: workerEnv, logFile: path.join(dir, 'worker-1.log') });
  try {
    // Target: one database on the stack's cluster, a CREATEROLE admin, two roles per rotation.
    const admin = new pg.Client({ connectionString: stack.adminUrl('postgres') });
    await admin.connect();
    const adminPassword = randomBytes(18).toString('base64url');
    await admin.query(`CREATE DATABASE ${q(DB)}`);
    await admin.query(`CREATE ROLE idle_admin LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(adminPassword)}`);
    const pairs = Array.from({ length: N }, (_, i) => [`idle_${i}_1`, `idle_${i}_2`] as const);
    const roles = pairs.flat();
    for (let i = 0; i < roles.length; i += 500) await admin.query(roles.slice(i, i + 500).map((r) => `CREATE ROLE ${q(r)} LOGIN;`).join('\n'));
    await admin.end();
    const url = new URL(stack.adminUrl(DB));
    const projectId = (await createProject(ctx, { name: 'bench-idle' }, 'bench')).id;
    const connection = await addConnection(
      ctx,
      createConnectionSchema.parse({ name: 'idle', projectId, credentials: { host: url.hostname, port: Number(url.port), database: DB, username: 'idle_admin', password: adminPassword } }),
      'bench',
    );

    const rotationBody = (i: number, username1: string, username2: string) => ({
      name: `idle-${i}`,
      projectId,
      connectionId: connection.id,
      environment: 'dev',
      secretPath: '/',
      rotationInterval: 30,
      rotateAtUtc: { hours: 0, minutes: 0 },
      parameters: { username1, username2 },
      secretsMapping: { username: `IDLE_${i}_USERNAME`, password: `IDLE_${i}_PASSWORD` },
    });

    // REAL rotations through createRotation (each issues its credentials before it returns): their runs are what a
    // created rotation's history looks like. The other N - REAL are seeded: a row with an issued state (what a
    // rotation's publish writes) and its workflow started from that state, as a continue-as-new run starts, so
    // each is a real workflow on the real dev server asleep until its due time, without N x 9 steps on the target.
    const ids: string[] = [];
    let failures = 0;
    const tc = performance.now();
    const real = pairs.slice(0, Math.min(REAL, N));
    await inParallel(real, CREATE_CONCURRENCY, async ([u1, u2], i) => {
      try {
        ids.push((await createRotation(ctx, createRotationSchema.parse(rotationBody(i, u1, u2)), 'bench')).id);
      } catch (err) {
        failures += 1;
        if (failures <= 5) console.log(`  create failed: ${(err instanceof Error ? err.message : String(err)).slice(0, 200)}`);
      }
    });
    const createMs = performance.now() - tc;
    console.log(`\n${ids.length}/${real.length} rotations created through createRotation in ${s(createMs)} (${(ids.length / (createMs / 1000)).toFixed(1)}/s, concurrency ${CREATE_CONCURRENCY}); failures ${failures}`);

    const folderId = await ensureFolder(ctx.db.pool, projectId, 'dev', '/');
    const environment = await requireEnvironment(ctx.db.pool, projectId, 'dev');
    const ts = performance.now();
    let reported = 0;
    await inParallel(pairs.slice(real.length), SEED_CONCURRENCY, async ([u1, u2], k) => {
      const i = real.length + k;
      const id = randomUUID();
      const now = new Date().toISOString();
      const config = newRotationConfig(createRotationSchema.parse(rotationBody(i, u1, u2)), { folderId, environment, connectionName: connection.name, now });
      const state = issuedState(id, config, now);
      await insertRotation(ctx.db.pool, id, config);
      await saveRotationState(ctx.db.pool, id, state);
      await ctx.temporal.workflow.start(WORKFLOW_TYPE, { workflowId: rotationWorkflowId(id), taskQueue: TASK_QUEUE, args: [{ rotationId: id, config, state }] });
      ids.push(id);
      if (ids.length - reported >= 1000) {
        reported = ids.length;
        console.log(`  ${ids.length} in ${s(performance.now() - tc)}`);
      }
    });
    const seedMs = performance.now() - ts;
    console.log(`${N - real.length} more seeded (row + workflow started from an issued state) in ${s(seedMs)} (${((N - real.length) / (seedMs / 1000)).toFixed(1)}/s)`);
    // Starting workflows is faster than the worker runs their first tasks: wait until it has caught up (its CPU
    // falls to a trickle), then for the post-creation work to end; then all sleep.
    const caughtUp = await untilIdle(worker.pid);
    console.log(`worker caught up ${s(caughtUp)} after the last start`);
    await sleep(SETTLE_MS);

    // Memory and storage, idle.
    const temporalPid = temporalServerPid(dir);
    const workerRss = rssMb(worker.pid);
    const memory = await workerMemory(metricsPort);
    const workerPeak = rssMb(worker.pid, 'VmHWM');
    const temporalRss = rssMb(temporalPid);
    const dbSize = Number((await ctx.db.pool.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size')).rows[0]!.size);
    // Events in the current run: a sample spread over the creation order.
    const sample = Array.from({ length: Math.min(EVENT_SAMPLE, ids.length) }, (_, k) => ids[Math.floor((k * ids.length) / Math.min(EVENT_SAMPLE, ids.length))]!);
    const events: number[] = [];
    for (const id of sample) events.push((await ctx.temporal.workflow.getHandle(rotationWorkflowId(id)).describe()).historyLength);
    events.sort((a, b) => a - b);
    const cpuIdle0 = { worker: cpuMs(worker.pid), temporal: cpuMs(temporalPid) };
    await sleep(5_000);
    const cpuIdle = { worker: cpuMs(worker.pid) - cpuIdle0.worker, temporal: cpuMs(temporalPid) - cpuIdle0.temporal };

    // List through the REST API over a real socket.
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const headers = { authorization: `Bearer ${adminToken}` };
    const listed = { all: 0, page: 0 };
    let listBytes = 0;
    const list = async (which: keyof typeof listed) => {
      const query = which === 'all' ? '' : `&limit=${PAGE}&offset=${Math.floor(N / 2)}`;
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}${LIST_ROUTE}?projectId=${projectId}${query}`, { headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`list: ${res.status} ${text.slice(0, 200)}`);
      if (which === 'all') listBytes = text.length;
      listed[which] = (JSON.parse(text) as { secretRotations: unknown[] }).secretRotations.length;
      return performance.now() - t;
    };
    for (let i = 0; i < 3; i++) await list('all');
    const listMs: number[] = [];
    const pageMs: number[] = [];
    // Interleaved, so drift on the machine affects both alike.
    for (let i = 0; i < LIST_REQUESTS; i++) {
      listMs.push(await list('all'));
      pageMs.push(await list('page'));
    }
    listMs.sort((a, b) => a - b);
    pageMs.sort((a, b) => a - b);

    // A restarted worker answers a query on one rotation (its workflow is in no cache: it is replayed).
    await worker.stop();
    const probeId = ids[Math.floor(ids.length / 2)]!;
    const handle = ctx.temporal.workflow.getHandle(rotationWorkflowId(probeId));
    const tr = performance.now();
    worker = startWorkerProcess({ env: workerEnv, logFile: path.join(dir, 'worker-2.log') });
    let queryAttempts = 0;
    for (;;) {
      queryAttempts += 1;
      try {
        const view = await handle.query(getRotationQuery);
        if (view.id !== probeId) throw new Error(`query answered for ${view.id}`);
        break;
      } catch (err) {
        if (performance.now() - tr > 120_000) throw err;
        await sleep(50);
      }
    }
    const queryMs = performance.now() - tr;
    await sleep(5_000);
    const restartedRss = rssMb(worker.pid);
    const restartedCpu = cpuMs(worker.pid);

    const mb = (x: number) => x.toFixed(0);
    console.log(`idle worker (own process, created them all): RSS ${mb(workerRss)} MB (peak ${mb(workerPeak)} MB); CPU while idle ${(cpuIdle.worker / 5).toFixed(0)} ms/s`);
    console.log(`  of which main-thread V8 heap ${mb(memory.heapTotal)} MB (${mb(memory.heapUsed)} MB used), external ${mb(memory.external)} MB; the rest is the workflow thread's heap, the SDK core (Rust) and the code`);
    console.log(`Temporal dev server: RSS ${mb(temporalRss)} MB; CPU while idle ${(cpuIdle.temporal / 5).toFixed(0)} ms/s`);
    console.log(`control database: ${(dbSize / 1024 / 1024).toFixed(1)} MB (pg_database_size)`);
    console.log(`events in the current run (${events.length} rotations sampled): min ${events[0]} p50 ${percentile(events, 50)} max ${events.at(-1)}`);
    console.log(`list through the REST API, all (${listed.all} rotations, ${(listBytes / 1024).toFixed(0)} KiB): p50 ${percentile(listMs, 50).toFixed(1)} ms p95 ${percentile(listMs, 95).toFixed(1)} ms (${LIST_REQUESTS} requests after 3 warm-up)`);
    console.log(`list through the REST API, one page (limit=${PAGE}, ${listed.page} rotations from the middle): p50 ${percentile(pageMs, 50).toFixed(1)} ms p95 ${percentile(pageMs, 95).toFixed(1)} ms; all/page p50 ${(percentile(listMs, 50) / percentile(pageMs, 50)).toFixed(1)}x`);
    console.log(`restarted worker: query on one rotation answered ${s(queryMs)} after the process was spawned (${queryAttempts} attempts); 5 s later RSS ${mb(restartedRss)} MB, CPU used ${(restartedCpu / 1000).toFixed(1)} s`);
    console.log(`idle: N=${N} worker_rss_mb=${mb(workerRss)} temporal_rss_mb=${mb(temporalRss)} events_per_run=${events.at(-1)} list_p50_ms=${percentile(listMs, 50).toFixed(1)} list_page_p50_ms=${percentile(pageMs, 50).toFixed(1)}`);
  } finally {
    await app.close().catch(() => {});
    await worker.stop();
    await close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
