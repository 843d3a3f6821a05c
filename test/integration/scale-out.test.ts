// Scale out (issue 8 item 5): two worker processes on one task queue share a burst of rotate requests on one target
// cluster; one of them is SIGKILLed in the middle of the burst. Every rotation completes exactly once (its mapped
// password's version rises by exactly one, and the mapped pair logs in), both workers did part of the burst before
// the kill, the survivor finishes the rest, and the fleet never has more than workers × ROTATOR_TARGET_POOL_MAX
// sessions open on the target.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createRotationSchema } from '../../src/domain/rotation-schemas.js';
import { createRotation, deleteRotation, rotateRotation } from '../../src/service/rotations.js';
import { readFolderSecrets } from '../../src/service/secrets.js';
import { APPLICATION_NAME } from '../../src/target/settings.js';
import { rotationWorkflowId, TASK_QUEUE } from '../../src/workflows/rotation-messages.js';
import { rememberPasswords } from '../support/passwords.js';
import { inParallel } from '../support/in-parallel.js';
import { canLogin, logFile, openTestStack, stackEnv, type TestStack, type TestTarget } from '../support/stack.js';
import { type LoggedProcess, startWorkerProcess } from '../support/worker-process.js';

const N = 100;
const POOL_MAX = 4;
const WORKERS = 2;
const CREATE_CONCURRENCY = 16;
/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW (a stable proto enum value). */
const WORKFLOW_TASK_QUEUE = 1;

let stack: TestStack;
let target: TestTarget;
/** A worker's workflow tasks carry `<pid>@<hostname>` in history (the SDK's default worker identity). */
const workers: LoggedProcess[] = [];
const rotations: { id: string; secretPath: string; roles: [string, string] }[] = [];

async function mappedPassword(secretPath: string): Promise<{ user: string; password: string; version: number }> {
  const s = await readFolderSecrets(stack.ctx, { projectId: target.projectId, environment: 'dev', secretPath }, 'test');
  const get = (k: string) => s.find((x) => x.secretKey === k)!;
  return { user: get('POSTGRES_DB_USERNAME').secretValue, password: get('POSTGRES_DB_PASSWORD').secretValue, version: get('POSTGRES_DB_PASSWORD').version };
}

beforeAll(async () => {
  stack = await openTestStack();
  target = await stack.newTarget('scale');
  const q = pg.escapeIdentifier;
  for (let i = 0; i < N; i++) {
    // Each rotation its own pair of roles: a role has one owner per cluster.
    const roles: [string, string] = [`${target.roles[0]}_s${i}_1`, `${target.roles[0]}_s${i}_2`];
    for (const role of roles) await stack.admin.query(`CREATE ROLE ${q(role)} LOGIN`);
    await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(target.database)} TO ${roles.map(q).join(', ')}`);
    rotations.push({ id: '', secretPath: `/scale-${i}`, roles });
  }
  for (let w = 1; w <= WORKERS; w++) {
    workers.push(startWorkerProcess({ env: { ...stackEnv(), ROTATOR_TARGET_POOL_MAX: String(POOL_MAX) }, inheritEnv: true, logFile: logFile(`worker-scale-${w}`) }));
  }
  // Both poll before the rotations are created, so that both get a share of them (a workflow's tasks go to the
  // worker that ran it last, while it is alive).
  const until = Date.now() + 60_000;
  for (;;) {
    const { pollers } = await stack.ctx.temporal.workflowService.describeTaskQueue({
      namespace: stack.ctx.temporal.options.namespace,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: WORKFLOW_TASK_QUEUE,
    });
    if (workers.every((w) => (pollers ?? []).some((p) => p.identity?.startsWith(`${w.pid}@`)))) break;
    if (Date.now() > until) throw new Error('the worker processes did not start polling within 60 s');
    await sleep(100);
  }
  // Creation issues the credentials (version 1 of each mapped secret); both workers serve it.
  await inParallel(rotations, CREATE_CONCURRENCY, async (r, i) => {
    const body = createRotationSchema.parse(target.rotationBody({ name: `scale-${i}`, secretPath: r.secretPath, isAutoRotationEnabled: false, parameters: { username1: r.roles[0], username2: r.roles[1] } }));
    r.id = (await createRotation(stack.ctx, body, 'test')).id;
  });
}, 120_000);

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db).catch(() => {});
  // The survivor (if any) removes the rotations; then every worker process is stopped.
  await inParallel(
    rotations.filter((r) => r.id),
    10,
    async (r) => void (await deleteRotation(stack.ctx, r.id, { deleteSecrets: true, revokeGeneratedCredentials: false }, 'test').catch(() => {})),
  );
  await Promise.all(workers.map((w) => w.kill()));
  await stack?.close();
});

it(`${N} rotations at once on two workers, one SIGKILLed mid-burst: each completes exactly once, on the survivor after the kill`, async () => {
  const before = await Promise.all(rotations.map((r) => mappedPassword(r.secretPath)));
  expect(before.every((m) => m.version === 1)).toBe(true);
  // The run that serves the burst (pinned: a later continue-as-new starts another run).
  const runIds = await Promise.all(rotations.map(async (r) => (await stack.ctx.temporal.workflow.getHandle(rotationWorkflowId(r.id)).describe()).runId));

  // Sessions pg-rotator has open on the target, every ~20 ms.
  const sampler = new pg.Client({ connectionString: inject('adminDatabaseUrl'), application_name: 'scale-sampler' });
  await sampler.connect();
  const sessions: number[] = [];
  let sampling = true;
  const sampling$ = (async () => {
    while (sampling) {
      const { rows } = await sampler.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = $2', [
        APPLICATION_NAME,
        target.database,
      ]);
      sessions.push(rows[0]!.n);
      await sleep(20);
    }
  })();

  const burstStart = Date.now();
  let completed = 0;
  const results = rotations.map((r) =>
    rotateRotation(stack.ctx, r.id, {}, 'test').then(
      (view) => {
        completed += 1;
        return { ok: true as const, view, at: Date.now() };
      },
      (err: unknown) => ({ ok: false as const, error: String((err as Error).message), at: Date.now() }),
    ),
  );

  // Kill one worker once a fifth of the burst is done (most of it is still running or queued).
  const until = Date.now() + 60_000;
  while (completed < N / 5 && Date.now() < until) await sleep(10);
  const [killed, survivor] = workers as [LoggedProcess, LoggedProcess];
  await killed.kill();
  const killedAt = Date.now();
  const completedBeforeKill = completed;

  const outcomes = await Promise.all(results);
  sampling = false;
  await sampling$;
  await sampler.end();

  // Every rotate call succeeded and the kill was in the middle of the burst.
  expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  expect(completedBeforeKill).toBeGreaterThan(0);
  expect(outcomes.filter((o) => o.at > killedAt).length).toBeGreaterThan(0);

  // Exactly once: each mapped password is at version 2 (one publish), names the other role, and that pair logs in.
  const after = await Promise.all(rotations.map((r) => mappedPassword(r.secretPath)));
  expect(after.map((m) => m.version)).toEqual(rotations.map(() => 2));
  expect(after.map((m) => m.user)).toEqual(rotations.map((r) => r.roles[1]));
  for (const m of after) expect(await canLogin(target.database, m.user, m.password)).toBe(true);
  for (const o of outcomes) if (o.ok) expect(o.view.activeIndex).toBe(1);

  // Who did the work: the identity on the workflow tasks completed during the burst, from each rotation's history
  // (the SDK's default identity, `<pid>@<host>`, tells the two processes apart).
  const beforeKill = new Set<string>();
  const afterKill = new Set<string>();
  for (const [i, r] of rotations.entries()) {
    const history = await stack.ctx.temporal.workflow.getHandle(rotationWorkflowId(r.id), runIds[i]).fetchHistory();
    for (const e of history.events ?? []) {
      const identity = e.workflowTaskCompletedEventAttributes?.identity;
      if (!identity || !e.eventTime?.seconds) continue;
      const at = Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6);
      if (at < burstStart) continue;
      (at < killedAt ? beforeKill : afterKill).add(identity);
    }
  }
  const of = (w: LoggedProcess) => (identity: string) => identity.startsWith(`${w.pid}@`);
  expect([...beforeKill].some(of(killed))).toBe(true);
  expect([...beforeKill].some(of(survivor))).toBe(true);
  expect(afterKill.size).toBe(1);
  expect([...afterKill].every(of(survivor))).toBe(true);

  // The fleet's cap on the target: each worker opens at most ROTATOR_TARGET_POOL_MAX sessions there.
  expect(Math.max(...sessions)).toBeLessThanOrEqual(WORKERS * POOL_MAX);
  expect(Math.max(...sessions)).toBeGreaterThanOrEqual(2); // the sampler saw the burst
}, 120_000);
