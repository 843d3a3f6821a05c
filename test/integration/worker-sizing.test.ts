// A worker sized for sleepers: it keeps at most ROTATOR_WORKER_CACHED_WORKFLOWS workflows in memory, whatever
// it touched, and a restarted worker replays nothing by itself: a workflow is replayed only when a task for it
// arrives (here a query), and every rotation still answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRotation } from '../../src/service/rotations.js';
import type { RunningWorker } from '../../src/worker/build-worker.js';
import { getRotationQuery, rotationWorkflowId } from '../../src/workflows/rotation-messages.js';
import { rememberPasswords } from '../support/passwords.js';
import { openTestStack, type TestStack } from '../support/stack.js';

const SIZING = { ROTATOR_WORKER_CACHED_WORKFLOWS: '3', ROTATOR_WORKER_WORKFLOW_TASK_SLOTS: '2' };
const ROTATIONS = 6;

let stack: TestStack;

beforeAll(async () => {
  stack = await openTestStack();
});

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db);
  await stack?.close();
});

/** Runs `work` while sampling how many workflows the worker caches; returns the largest sample. */
async function peakCached(worker: RunningWorker, work: () => Promise<unknown>): Promise<number> {
  let peak = worker.worker.getStatus().numCachedWorkflows;
  const sampler = setInterval(() => (peak = Math.max(peak, worker.worker.getStatus().numCachedWorkflows)), 5);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, worker.worker.getStatus().numCachedWorkflows);
}

describe('worker sizing', () => {
  it('caches at most the configured number of workflows; after a restart nothing is replayed until asked', async () => {
    let worker = await stack.startWorker('worker-sizing', SIZING);
    const ids: string[] = [];
    const created = await peakCached(worker, async () => {
      for (let i = 0; i < ROTATIONS; i++) {
        const target = await stack.newTarget(`size${i}`);
        ids.push((await createRotation(stack.ctx, target.rotationInput(), 'test')).id);
      }
    });
    expect(created).toBeGreaterThan(0);
    expect(created).toBeLessThanOrEqual(3);

    const query = () => Promise.all(ids.map((id) => stack.ctx.temporal.workflow.getHandle(rotationWorkflowId(id)).query(getRotationQuery)));
    await worker.shutdown();
    worker = await stack.startWorker('worker-sizing-restarted', SIZING);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(worker.worker.getStatus().numCachedWorkflows).toBe(0); // six sleeping rotations, none replayed

    let views: Awaited<ReturnType<typeof query>> = [];
    const queried = await peakCached(worker, async () => (views = await query()));
    expect(views.map((v) => v.id)).toEqual(ids);
    expect(views.every((v) => v.activeIndex === 0 && v.rotationStatus === 'success')).toBe(true);
    expect(queried).toBeGreaterThan(0);
    expect(queried).toBeLessThanOrEqual(3);
  });
});
