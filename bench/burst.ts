/**
 * A burst of due rotations on one target: N rotations created (creations/s), then a `rotate` sent to all of them at
 * once, through Temporal and a worker that runs as its own process; next to it, in the same run, the same four steps
 * (stage → apply → verify → publish) called directly in this process on N other roles of the same target, with
 * concurrency equal to the per-cluster cap (the direct baseline). The target is a cluster of its own with
 * max_connections = 100. Every 100 ms the target's sessions (pg_stat_activity) and the worker's RSS are sampled;
 * CPU per rotation of the worker and of the Temporal server during the burst comes from /proc/<pid>/stat.
 *
 *   npm run bench:burst      (ROTATIONS=1000 by default; CREATE_CONCURRENCY=20; ROTATOR_TARGET_POOL_MAX is the cap)
 *
 * Last line: `burst: N=<n> ratio=<burst/direct> failures=<f> peak_target_connections=<p> cap=<c> worker_peak_rss_mb=<m>`
 * (ratio: rotations/s through Temporal ÷ rotations/s direct; peak: pg-rotator's sessions on the target while the
 * worker created and rotated).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startLocalCluster } from '../dev/stack/postgres-cluster.js';
import { createActivities } from '../src/activities/index.js';
import { createConnectionSchema } from '../src/domain/connection-schemas.js';
import { newRotationConfig } from '../src/domain/rotation-config.js';
import { createRotationSchema } from '../src/domain/rotation-schemas.js';
import { addConnection } from '../src/service/connections.js';
import { createProject, requireEnvironment } from '../src/service/projects.js';
import { createRotation, rotateRotation } from '../src/service/rotations.js';
import { readFolderSecrets } from '../src/service/secrets.js';
import { ensureFolder, insertRotation } from '../src/store/rotations.js';
import { TargetSessions } from '../src/target/sessions.js';
import { APPLICATION_NAME } from '../src/target/settings.js';
import { cpuMs, openBenchStack, percentile, prebuiltBundle, rssMb, sampleEvery, temporalServerPid } from './bench-stack.js';
import { inParallel } from '../test/support/in-parallel.js';
import { type LoggedProcess, startWorkerProcess } from '../test/support/worker-process.js';

const N = Number(process.env.ROTATIONS ?? 1000);
const CREATE_CONCURRENCY = Number(process.env.CREATE_CONCURRENCY ?? 20);
const TARGET_MAX_CONNECTIONS = 100;
const DB = 'burst';

const q = pg.escapeIdentifier;
const mb = (x: number) => x.toFixed(0);
const perSecond = (n: number, ms: number) => (n / (ms / 1000)).toFixed(1);
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 200);

async function main(): Promise<void> {
  const { dir, env, config, ctx, close } = await openBenchStack('bench-burst', { worker: 'process' });
  const cap = config.targetLimits.poolMax;
  const target = await startLocalCluster({ dir: path.join(dir, 'target'), fresh: true });
  let worker: LoggedProcess | null = null;
  const sampler = new pg.Client({ connectionString: target.url('postgres'), application_name: 'bench-sampler' });
  try {
    // The target: its own cluster, max_connections 100, one database, a CREATEROLE admin, 2 roles per rotation.
    const admin = new pg.Client({ connectionString: target.url('postgres') });
    await admin.connect();
    await admin.query(`ALTER SYSTEM SET max_connections = ${TARGET_MAX_CONNECTIONS}`);
    await admin.end();
    await target.restart();
    const setup = new pg.Client({ connectionString: target.url('postgres') });
    await setup.connect();
    const maxConnections = (await setup.query<{ max_connections: string }>('SHOW max_connections')).rows[0]!.max_connections;
    const adminPassword = randomBytes(18).toString('base64url');
    await setup.query(`CREATE DATABASE ${q(DB)}`);
    await setup.query(`CREATE ROLE burst_admin LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(adminPassword)}`);
    const pairs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => [`${prefix}_${i}_1`, `${prefix}_${i}_2`] as const);
    const viaTemporal = pairs('burst', N);
    const direct = pairs('direct', N);
    const warmup = pairs('warmup', 1);
    const roles = [...viaTemporal, ...direct, ...warmup].flat();
    for (let i = 0; i < roles.length; i += 500) {
      await setup.query(roles.slice(i, i + 500).map((r) => `CREATE ROLE ${q(r)} LOGIN;`).join('\n'));
    }
    await setup.end();

    const bundle = await prebuiltBundle(dir);
    worker = startWorkerProcess({ env: { ...env, ROTATOR_WORKFLOW_BUNDLE: bundle }, logFile: path.join(dir, 'worker.log') });
    const temporalPid = temporalServerPid(dir);

    const projectId = (await createProject(ctx, { name: 'bench-burst' }, 'bench')).id;
    const connection = await addConnection(
      ctx,
      createConnectionSchema.parse({ name: 'burst', projectId, credentials: { host: '127.0.0.1', port: target.port, database: DB, username: 'burst_admin', password: adminPassword } }),
      'bench',
    );
    const body = (name: string, [u1, u2]: readonly [string, string], secretPath: string) => ({
      name,
      projectId,
      connectionId: connection.id,
      environment: 'dev',
      secretPath,
      isAutoRotationEnabled: false,
      rotationInterval: 30,
      parameters: { username1: u1, username2: u2 },
      secretsMapping: { username: 'DB_USERNAME', password: 'DB_PASSWORD' },
    });

    // Samples every 100 ms: pg-rotator's sessions on the target (by phase), all client sessions, the worker's RSS.
    await sampler.connect();
    let phase: 'setup' | 'create' | 'settle' | 'burst' | 'direct' = 'setup';
    const peak: Record<string, number> = {};
    let peakAllSessions = 0;
    let peakRss = 0;
    const workerPid = worker.pid;
    const samples = sampleEvery(100, async () => {
      const { rows } = await sampler.query<{ ours: number; all: number }>(
        `SELECT count(*) FILTER (WHERE application_name = $1)::int AS ours, count(*)::int AS "all" FROM pg_stat_activity WHERE backend_type = 'client backend'`,
        [APPLICATION_NAME],
      );
      peak[phase] = Math.max(peak[phase] ?? 0, rows[0]!.ours);
      peakAllSessions = Math.max(peakAllSessions, rows[0]!.all);
      peakRss = Math.max(peakRss, rssMb(workerPid));
    });

    // Warm-up (not timed): waits for the worker process to poll, and warms it.
    const tw = performance.now();
    await createRotation(ctx, createRotationSchema.parse(body('warmup', warmup[0]!, '/warmup')), 'bench');
    const workerReadyMs = performance.now() - tw;

    // 1. Create N rotations (each issues both credentials).
    phase = 'create';
    const ids: string[] = [];
    const createFailures: string[] = [];
    const cpuCreate0 = { worker: cpuMs(workerPid), temporal: cpuMs(temporalPid), bench: process.cpuUsage() };
    const tc = performance.now();
    await inParallel(viaTemporal, CREATE_CONCURRENCY, async (pair, i) => {
      try {
        ids.push((await createRotation(ctx, createRotationSchema.parse(body(`burst-${i}`, pair, `/burst-${i}`)), 'bench')).id);
      } catch (err) {
        createFailures.push(errorText(err));
      }
    });
    const createMs = performance.now() - tc;
    const benchCreateCpu = process.cpuUsage(cpuCreate0.bench);
    const cpuCreate = {
      worker: cpuMs(workerPid) - cpuCreate0.worker,
      temporal: cpuMs(temporalPid) - cpuCreate0.temporal,
      service: (benchCreateCpu.user + benchCreateCpu.system) / 1000,
    };
    phase = 'settle';
    await sleep(6_000); // let post-creation work (a new run after issuing) finish before the burst

    // 2. The burst: `rotate` to every rotation at once.
    phase = 'burst';
    const cpu0 = { worker: cpuMs(workerPid), temporal: cpuMs(temporalPid) };
    const latencies: number[] = [];
    const burstFailures: string[] = [];
    const tb = performance.now();
    await Promise.all(
      ids.map(async (id) => {
        const t = performance.now();
        try {
          const view = await rotateRotation(ctx, id, {}, 'bench');
          if (view.rotationStatus !== 'success' || view.activeIndex !== 1) burstFailures.push(`${id}: ${view.rotationStatus}, active ${view.activeIndex}`);
        } catch (err) {
          burstFailures.push(errorText(err));
        }
        latencies.push(performance.now() - t);
      }),
    );
    const burstMs = performance.now() - tb;
    const cpuBurst = { worker: cpuMs(workerPid) - cpu0.worker, temporal: cpuMs(temporalPid) - cpu0.temporal };
    const workerRssAfter = rssMb(workerPid);

    // Each mapped password rose by exactly one (version 2: issued, then rotated once).
    let wrongVersions = 0;
    await inParallel(ids, 20, async (_, i) => {
      const s = await readFolderSecrets(ctx, { projectId, environment: 'dev', secretPath: `/burst-${i}` }, 'bench').catch(() => []);
      if (s.find((x) => x.secretKey === 'DB_PASSWORD')?.version !== 2) wrongVersions += 1;
    });

    // 3. Direct baseline: rotation records without workflows, the same activity code in this process.
    const folderId = await ensureFolder(ctx.db.pool, projectId, 'dev', '/direct');
    const environment = await requireEnvironment(ctx.db.pool, projectId, 'dev');
    const directIds: string[] = [];
    for (const [i, pair] of direct.entries()) {
      const input = createRotationSchema.parse({ ...body(`direct-${i}`, pair, '/direct'), secretsMapping: { username: `D${i}_USERNAME`, password: `D${i}_PASSWORD` } });
      const id = randomUUID();
      await insertRotation(ctx.db.pool, id, newRotationConfig(input, { folderId, environment, connectionName: connection.name, now: new Date().toISOString() }));
      directIds.push(id);
    }
    const acts = createActivities({ db: ctx.db, sessions: new TargetSessions(config.targetLimits), webhooks: false });
    phase = 'direct';
    const directFailures: string[] = [];
    const cpuDirect0 = process.cpuUsage();
    const td = performance.now();
    await inParallel(directIds, cap, async (rotationId) => {
      const ref = { rotationId, slot: 0 as const, generation: 1 };
      try {
        await acts.stagePassword(ref);
        await acts.applyPassword(ref);
        await acts.verifyLogin(ref);
        await acts.publish({ ...ref, activate: true, actor: 'bench' });
      } catch (err) {
        directFailures.push(errorText(err));
      }
    });
    const directMs = performance.now() - td;
    const cpuDirect = process.cpuUsage(cpuDirect0);
    await samples.stop();
    const workerPeakRss = rssMb(workerPid, 'VmHWM'); // over the whole run

    const failures = createFailures.length + burstFailures.length + wrongVersions;
    const burstRate = ids.length / (burstMs / 1000);
    const directRate = directIds.length / (directMs / 1000);
    const ratio = burstRate / directRate;
    const peakTarget = Math.max(peak.create ?? 0, peak.settle ?? 0, peak.burst ?? 0);
    latencies.sort((a, b) => a - b);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

    console.log(`\nburst of ${N} rotations on one target (max_connections ${maxConnections}), cap ${cap} per worker, one worker process`);
    console.log(`worker: own process (bin/pg-rotator-worker, prebuilt workflow bundle), first rotation issued ${s(workerReadyMs)} after its start`);
    for (const f of [...createFailures, ...burstFailures, ...directFailures].slice(0, 5)) console.log(`  failure: ${f}`);
    console.log(`create    ${ids.length}/${N} in ${s(createMs)}: ${perSecond(ids.length, createMs)} creations/s (concurrency ${CREATE_CONCURRENCY}); failures ${createFailures.length}`);
    const perCreation = (ms: number) => `${(ms / Math.max(1, ids.length)).toFixed(1)} ms`;
    console.log(
      `          CPU per creation: worker ${perCreation(cpuCreate.worker)}, Temporal server ${perCreation(cpuCreate.temporal)}, service (this process) ${perCreation(cpuCreate.service)}`,
    );
    console.log(
      `burst     ${ids.length} in ${s(burstMs)}: ${burstRate.toFixed(1)} rotations/s; latency p50 ${s(percentile(latencies, 50))} p95 ${s(percentile(latencies, 95))} max ${s(latencies.at(-1) ?? NaN)}; failures ${burstFailures.length}; mapped password not at version 2: ${wrongVersions}`,
    );
    console.log(`direct    ${directIds.length} in ${s(directMs)}: ${directRate.toFixed(1)} rotations/s (concurrency ${cap}, same four steps, in-process); failures ${directFailures.length}`);
    console.log(`ratio burst/direct: ${ratio.toFixed(3)}`);
    console.log(
      `target sessions of pg-rotator, peak: create ${peak.create ?? 0}, burst ${peak.burst ?? 0}, direct ${peak.direct ?? 0} (cap ${cap}); all client sessions peak ${peakAllSessions} (incl. this sampler)`,
    );
    console.log(`worker RSS: peak ${mb(workerPeakRss)} MB (VmHWM; sampled peak ${mb(peakRss)} MB), after the burst ${mb(workerRssAfter)} MB`);
    console.log(
      `CPU per rotation in the burst: worker ${(cpuBurst.worker / ids.length).toFixed(1)} ms, Temporal server ${(cpuBurst.temporal / ids.length).toFixed(1)} ms; ` +
        `direct path (this process) ${((cpuDirect.user + cpuDirect.system) / 1000 / directIds.length).toFixed(1)} ms (PostgreSQL's CPU not counted on either side)`,
    );
    const busy = (ms: number) => `${((100 * ms) / burstMs).toFixed(0)}%`;
    console.log(`CPU busy during the burst (100% = one core): worker ${busy(cpuBurst.worker)}, Temporal server ${busy(cpuBurst.temporal)}`);
    console.log(`burst: N=${N} ratio=${ratio.toFixed(3)} failures=${failures + directFailures.length} peak_target_connections=${peakTarget} cap=${cap} worker_peak_rss_mb=${mb(workerPeakRss)}`);
  } finally {
    await sampler.end().catch(() => {});
    await worker?.stop();
    await target.stop().catch(() => {});
    await close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
