// bin/pg-rotator-worker, the worker's launcher (npm run worker, the image's command): it validates its one setting
// and starts the worker with a worker-sized V8 heap.
import { expect, it } from 'vitest';
import { logFile, stackEnv } from '../support/stack.js';
import { startWorkerProcess } from '../support/worker-process.js';

it.each(['abc', '64', '-1', '256MB'])('refuses ROTATOR_WORKER_HEAP_MB=%j naming the variable and the rule, before starting node', async (value) => {
  const worker = startWorkerProcess({ env: { ...stackEnv(), ROTATOR_WORKER_HEAP_MB: value }, logFile: logFile('worker-launcher-refused') });
  expect(await worker.exited).toBe(1);
  expect(worker.stderr()).toContain(`ROTATOR_WORKER_HEAP_MB: must be an integer of at least 128 (MB of V8 old space per thread), got '${value}'`);
  expect(worker.stderr()).not.toMatch(/worker started|node:/);
});

it('starts the worker with the heap limit it was given, and stops on SIGTERM', async () => {
  const worker = startWorkerProcess({ env: { ...stackEnv(), ROTATOR_WORKER_HEAP_MB: '192' }, logFile: logFile('worker-launcher') });
  const started = await worker.waitFor(/worker started/, 60_000);
  const { heapLimitMb } = JSON.parse(started) as { heapLimitMb: number };
  // The old-space limit plus V8's young generation (a few MB with --max-semi-space-size=8): not the host-sized default.
  expect(heapLimitMb).toBeGreaterThanOrEqual(192);
  expect(heapLimitMb).toBeLessThan(192 + 64);
  expect(await worker.stop()).toBe(0);
});
