// bin/pg-rotator-worker, the worker's launcher (npm run worker, the image's command): it validates its one setting
// and starts the worker with a worker-sized V8 heap.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { projectRoot } from '../../src/data-dir.js';
import { stackEnv } from '../support/stack.js';

const launcher = path.join(projectRoot, 'bin', 'pg-rotator-worker');

it.each(['abc', '64', '-1', '256MB'])('refuses ROTATOR_WORKER_HEAP_MB=%j naming the variable and the rule, before starting node', (value) => {
  const result = spawnSync(launcher, [], { env: { PATH: process.env.PATH ?? '', ...stackEnv(), ROTATOR_WORKER_HEAP_MB: value }, encoding: 'utf8', timeout: 30_000 });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`ROTATOR_WORKER_HEAP_MB: must be an integer of at least 128 (MB of V8 old space per thread), got '${value}'`);
  expect(result.stderr).not.toMatch(/worker started|node:/);
});

it('starts the worker with the heap limit it was given, and stops on SIGTERM', async () => {
  const child = spawn(launcher, [], { cwd: projectRoot, env: { PATH: process.env.PATH ?? '', ...stackEnv(), ROTATOR_WORKER_HEAP_MB: '192' } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toMatch(/worker started/);
  const started = output.split('\n').find((line) => line.includes('worker started'))!;
  const { heapLimitMb } = JSON.parse(started) as { heapLimitMb: number };
  // The old-space limit plus V8's young generation (a few MB with --max-semi-space-size=8): not the host-sized default.
  expect(heapLimitMb).toBeGreaterThanOrEqual(192);
  expect(heapLimitMb).toBeLessThan(192 + 64);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
