import { randomUUID } from 'node:crypto';
import { newRotationConfig } from '../src/domain/rotation-config.js';
import { createRotationSchema } from '../src/domain/rotation-schemas.js';
import type { RotationState } from '../src/domain/rotation-types.js';
import { computeNextRotationAt } from '../src/domain/schedule.js';
import type { ServiceContext } from '../src/service/context.js';
import { requireEnvironment } from '../src/service/projects.js';
import { withTransaction } from '../src/store/db.js';
import type { TargetConnection } from '../src/store/connections.js';
import { ensureFolder, insertRotation, saveRotationState } from '../src/store/rotations.js';

/**
 * `count` rotations in one folder, cheaply, for the listing benchmarks. The listing reads the control database
 * only: one query over `rotations`, whose `config` (written on create/update) and `state` (the snapshot the
 * workflow writes after every change) hold every field of the response. So rows written here with insertRotation
 * + saveRotationState are, to the list route, exactly what workflow-managed rotations look like; no workflow (and
 * no target role) is needed for what is measured. Every `failedEvery`-th one is failed, with a message.
 */
export async function seedRotations(
  ctx: ServiceContext,
  opts: { projectId: string; connection: TargetConnection; count: number; failedEvery?: number },
): Promise<void> {
  const folderId = await ensureFolder(ctx.db.pool, opts.projectId, 'dev', '/');
  const environment = await requireEnvironment(ctx.db.pool, opts.projectId, 'dev');
  const lastRotatedAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
  await withTransaction(ctx.db.pool, async (tx) => {
    for (let i = 0; i < opts.count; i++) {
      const n = String(i).padStart(4, '0');
      const input = createRotationSchema.parse({
        name: `bench-${n}`,
        projectId: opts.projectId,
        description: 'bench rotation',
        connectionId: opts.connection.id,
        environment: 'dev',
        secretPath: '/',
        rotationInterval: 30,
        rotateAtUtc: { hours: 2, minutes: 30 },
        parameters: { username1: `bench_role_${n}_1`, username2: `bench_role_${n}_2` },
        secretsMapping: { username: `BENCH_${n}_USERNAME`, password: `BENCH_${n}_PASSWORD` },
      });
      const cfg = newRotationConfig(input, { folderId, environment, connectionName: opts.connection.name, now: new Date().toISOString() });
      const id = randomUUID();
      await insertRotation(tx, id, cfg);
      const failed = opts.failedEvery !== undefined && i % opts.failedEvery === 0;
      const next = computeNextRotationAt({
        rotationId: id,
        isAutoRotationEnabled: true,
        rotationInterval: cfg.rotationInterval,
        rotateAtUtc: cfg.rotateAtUtc,
        rotationWindowMinutes: cfg.rotationWindowMinutes,
        lastRotatedAt: Date.parse(lastRotatedAt),
        createdAt: Date.parse(cfg.createdAt),
        lastFailedAt: failed ? Date.now() : null,
      });
      const state: RotationState = {
        activeIndex: (i % 2) as 0 | 1,
        generation: 2 + (i % 2),
        rotationStatus: failed ? 'failed' : 'success',
        rotationInProgress: false,
        lastRotationAttemptedAt: lastRotatedAt,
        lastRotatedAt,
        lastFailedAt: failed ? new Date().toISOString() : null,
        lastRotationJobId: `pg-rotation-${id}`,
        lastRotationMessage: failed ? `role "bench_role_${n}_2" does not exist (seeded failure)` : null,
        inactiveRetiredAt: null,
        lastScheduledFor: null,
        nextRotationAt: next === null ? null : new Date(next).toISOString(),
        updatedAt: lastRotatedAt,
      };
      await saveRotationState(tx, id, state);
    }
  });
}
