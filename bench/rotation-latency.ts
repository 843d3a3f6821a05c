/**
 * Rotate-now latency through Temporal (update sent → result back) against a direct baseline that runs the same
 * four steps (stage → apply → verify → publish) by calling the activity functions in-process, in the same run,
 * on the same local stack and target. Prints p50/p95 of both and their ratio.
 *
 *   npm run bench            (ROTATIONS=50 by default)
 */
import { randomUUID } from 'node:crypto';
import { benchTarget, openBenchStack, percentile } from './bench-stack.js';
import { createActivities } from '../src/activities/index.js';
import { newRotationConfig } from '../src/domain/rotation-config.js';
import { createRotationSchema } from '../src/domain/rotation-schemas.js';
import type { Slot } from '../src/domain/rotation-types.js';
import { requireEnvironment } from '../src/service/projects.js';
import { createRotation, rotateRotation } from '../src/service/rotations.js';
import { ensureFolder, insertRotation } from '../src/store/rotations.js';
import { TargetSessions } from '../src/target/sessions.js';

const N = Number(process.env.ROTATIONS ?? 50);
const WARMUP = 3;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const { stack, config, ctx, close } = await openBenchStack('bench');
  try {
    // Target: four roles (two per rotation) and a CREATEROLE admin, on database "bench".
    const { projectId, connection } = await benchTarget({ stack, ctx }, 'bench', ['bench_t1', 'bench_t2', 'bench_d1', 'bench_d2']);
    const body = (name: string, u1: string, u2: string, secretPrefix: string) => ({
      name,
      projectId,
      connectionId: connection.id,
      environment: 'dev',
      rotationInterval: 30,
      parameters: { username1: u1, username2: u2 },
      secretsMapping: { username: `${secretPrefix}_USERNAME`, password: `${secretPrefix}_PASSWORD` },
    });

    // Through Temporal: a real rotation.
    const viaTemporal = await createRotation(ctx, createRotationSchema.parse(body('bench-temporal', 'bench_t1', 'bench_t2', 'TEMPORAL')), 'bench');

    // Direct: a rotation record without a workflow; the same activity code called in-process.
    const directId = randomUUID();
    const input = createRotationSchema.parse(body('bench-direct', 'bench_d1', 'bench_d2', 'DIRECT'));
    const folderId = await ensureFolder(ctx.db.pool, projectId, 'dev', '/');
    const environment = await requireEnvironment(ctx.db.pool, projectId, 'dev');
    await insertRotation(ctx.db.pool, directId, newRotationConfig(input, { folderId, environment, connectionName: 'bench', now: new Date().toISOString() }));
    const acts = createActivities({ db: ctx.db, sessions: new TargetSessions(config.targetLimits), webhooks: false });
    let generation = 0;
    let active: Slot = 1;
    const direct = async () => {
      const slot: Slot = active === 0 ? 1 : 0;
      const ref = { rotationId: directId, slot, generation: ++generation };
      await acts.stagePassword(ref);
      await acts.applyPassword(ref);
      await acts.verifyLogin(ref);
      await acts.publish({ ...ref, activate: true, actor: 'bench' });
      active = slot;
    };
    const temporal = () => rotateRotation(ctx, viaTemporal.id, {}, 'bench');

    for (let i = 0; i < WARMUP; i++) {
      await temporal();
      await direct();
    }
    const t: number[] = [];
    const d: number[] = [];
    // Interleaved, so drift on the machine affects both sides alike.
    for (let i = 0; i < N; i++) {
      t.push(await timed(temporal));
      d.push(await timed(direct));
    }
    t.sort((a, b) => a - b);
    d.sort((a, b) => a - b);
    const row = (name: string, xs: number[]) =>
      `${name.padEnd(28)} p50 ${percentile(xs, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(xs, 95).toFixed(1).padStart(7)} ms   max ${xs.at(-1)!.toFixed(1).padStart(7)} ms`;
    console.log(`\nrotate-now latency, ${N} rotations each (after ${WARMUP} warm-up), interleaved`);
    console.log(row('via Temporal (update → result)', t));
    console.log(row('direct baseline (4 steps)', d));
    console.log(
      `ratio Temporal/direct: p50 ${(percentile(t, 50) / percentile(d, 50)).toFixed(2)}x   p95 ${(percentile(t, 95) / percentile(d, 95)).toFixed(2)}x   (goal: p50 ≤ 1.5x)`,
    );
  } finally {
    await close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
