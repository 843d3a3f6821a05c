/**
 * The floor the Temporal SDK and server put under a rotate-now: the round trip of an update whose handler runs k
 * sequential local activities (no-op, or sleeping 6 ms like a real step), against the same 4 × 6 ms called directly
 * in this process. No PostgreSQL and no pg-rotator code: a fresh Temporal dev server, one in-process worker with
 * default options and a workflow of its own (bench/update-floor-workflow.ts). `npm run bench` measures the real
 * rotate-now (four local-activity steps of about 6 ms each); its overhead over the direct steps cannot go below the
 * one printed here on the same machine under the same load, whatever pg-rotator's own code does.
 *
 *   npm run bench:floor      (REQUESTS=200 by default, after 20 warm-up, per variant)
 *
 * The variants run round-robin in one loop (each round starting at the next variant), so background load on the
 * machine hits them alike. The no-op rows give, by a least-squares line over k, the fixed cost of an update and the
 * cost of each local activity.
 *
 * Last line: `floor: k=4 step_ms=6 temporal_p50_ms=<x> direct_p50_ms=<y> ratio=<x/y> overhead_ms=<x-y> per_la_ms=<..> fixed_ms=<..>`
 * (per_la_ms, fixed_ms: the no-op fit's slope and intercept).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startTemporalDevServer } from '../dev/stack/temporal-server.js';
import { dataDir } from '../src/data-dir.js';
import { percentile } from './bench-stack.js';
import { runSteps, updateFloorWorkflow, type FloorActivities, type FloorRequest } from './update-floor-workflow.js';

const REQUESTS = positiveInt('REQUESTS', 200);
const WARMUP = 20;
const STEPS = 4;
const STEP_MS = 6;
const TASK_QUEUE = 'bench-update-floor';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return n;
}

const activities: FloorActivities = {
  async step(ms) {
    if (ms > 0) await sleep(ms);
  },
};

interface Variant {
  name: string;
  /** Through Temporal: the update's request; absent for the direct baseline. */
  update?: FloorRequest;
  times: number[];
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = path.join(dataDir(), 'bench-floor');
  const server = await startTemporalDevServer({ dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log'), fresh: true });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  try {
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: fileURLToPath(new URL('./update-floor-workflow.ts', import.meta.url)),
      activities,
    });
    const client = new Client({ connection });
    const variants: Variant[] = [
      ...[0, 1, 2, STEPS].map((k) => ({ name: `k=${k} no-op`, update: { k, stepMs: 0 }, times: [] })),
      { name: `k=${STEPS} × ${STEP_MS} ms`, update: { k: STEPS, stepMs: STEP_MS }, times: [] },
      { name: `direct ${STEPS} × ${STEP_MS} ms`, times: [] },
    ];
    await worker.runUntil(async () => {
      // One workflow per variant, so each history only grows by its own updates.
      const calls = await Promise.all(
        variants.map(async (v) => {
          const { update } = v;
          if (!update) return () => directSteps();
          const handle = await client.workflow.start(updateFloorWorkflow, { taskQueue: TASK_QUEUE, workflowId: `floor-${v.name}` });
          return () => handle.executeUpdate(runSteps, { args: [update] });
        }),
      );
      for (let round = 0; round < WARMUP + REQUESTS; round++) {
        for (let j = 0; j < variants.length; j++) {
          const i = (round + j) % variants.length;
          const t0 = performance.now();
          await calls[i]!();
          if (round >= WARMUP) variants[i]!.times.push(performance.now() - t0);
        }
      }
    });
    report(variants);
  } finally {
    await connection.close().catch(() => {});
    await nativeConnection.close().catch(() => {});
    await server.stop();
  }
}

async function directSteps(): Promise<void> {
  for (let i = 0; i < STEPS; i++) await activities.step(STEP_MS);
}

function report(variants: Variant[]): void {
  const p = (v: Variant, q: number) => percentile([...v.times].sort((a, b) => a - b), q);
  const byName = (name: string) => variants.find((v) => v.name === name)!;
  console.log(`\nupdate round trip, ${REQUESTS} per variant (after ${WARMUP} warm-up), round-robin`);
  for (const v of variants) console.log(`${v.name.padEnd(20)} p50 ${p(v, 50).toFixed(1).padStart(6)} ms   p95 ${p(v, 95).toFixed(1).padStart(6)} ms`);

  // Least squares p50 = fixed + perLa × k over the no-op rows.
  const points = variants.filter((v) => v.update?.stepMs === 0).map((v) => [v.update!.k, p(v, 50)] as const);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const kMean = mean(points.map(([k]) => k));
  const yMean = mean(points.map(([, y]) => y));
  const perLa = points.reduce((s, [k, y]) => s + (k - kMean) * (y - yMean), 0) / points.reduce((s, [k]) => s + (k - kMean) ** 2, 0);
  const fixed = yMean - perLa * kMean;

  const temporal = p(byName(`k=${STEPS} × ${STEP_MS} ms`), 50);
  const direct = p(byName(`direct ${STEPS} × ${STEP_MS} ms`), 50);
  const overhead = temporal - direct;
  console.log(`no-op fit: fixed ${fixed.toFixed(1)} ms per update + ${perLa.toFixed(1)} ms per local activity`);
  console.log(`${STEPS} × ${STEP_MS} ms: overhead ${overhead.toFixed(1)} ms = fixed + ${((overhead - fixed) / STEPS).toFixed(1)} ms per sleeping local activity`);
  console.log(
    `floor: k=${STEPS} step_ms=${STEP_MS} temporal_p50_ms=${temporal.toFixed(1)} direct_p50_ms=${direct.toFixed(1)} ratio=${(temporal / direct).toFixed(2)} ` +
      `overhead_ms=${overhead.toFixed(1)} per_la_ms=${perLa.toFixed(1)} fixed_ms=${fixed.toFixed(1)}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
