import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { projectRoot } from '../../src/data-dir.js';
import { stackEnv } from '../support/stack.js';

function runWorker(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

it.each([
  ['missing', undefined, /ROTATOR_ENCRYPTION_KEY is not set.*openssl rand -base64 32/],
  ['too short', Buffer.alloc(16).toString('base64'), /must decode to 32 bytes, got 16.*openssl rand -base64 32/],
])('the worker refuses to start when the encryption key is %s, and says how to make one', (_label, key, message) => {
  const { ROTATOR_ENCRYPTION_KEY: _k, ...env } = stackEnv();
  const result = runWorker(key === undefined ? env : { ...env, ROTATOR_ENCRYPTION_KEY: key });
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(message);
});
