import { expect, it } from 'vitest';
import { logFile, stackEnv } from '../support/stack.js';
import { startWorkerProcess } from '../support/worker-process.js';

it.each([
  ['missing', undefined, /ROTATOR_ENCRYPTION_KEY is not set.*openssl rand -base64 32/],
  ['too short', Buffer.alloc(16).toString('base64'), /must decode to 32 bytes, got 16.*openssl rand -base64 32/],
])('the worker refuses to start when the encryption key is %s, and says how to make one', async (label, key, message) => {
  const { ROTATOR_ENCRYPTION_KEY: _k, ...env } = stackEnv();
  const worker = startWorkerProcess({ env: key === undefined ? env : { ...env, ROTATOR_ENCRYPTION_KEY: key }, logFile: logFile(`worker-startup-${label.replace(' ', '-')}`) });
  expect(await worker.exited).toBe(1);
  expect(worker.stderr()).toMatch(message);
});
