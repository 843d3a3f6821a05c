import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config.js';
import { startLocalStack } from '../dev/stack/local-stack.js';
import { dataDir } from '../src/data-dir.js';
import { openServiceContext } from '../src/service/context.js';
import { startWorker } from '../src/worker/build-worker.js';

/**
 * A fresh local stack (in `<dataDir>/<dirName>`) for a benchmark, with a real worker and a service context on it.
 * `close()` shuts the worker down, closes the context and stops the stack.
 */
export async function openBenchStack(dirName: string) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const stack = await startLocalStack({ dir: path.join(dataDir(), dirName), fresh: true });
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    ROTATOR_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
  });
  const worker = await startWorker(config);
  const ctx = await openServiceContext(config);
  const close = async (): Promise<void> => {
    await worker.shutdown().catch(() => {});
    await ctx.close().catch(() => {});
    await stack.stop();
  };
  return { stack, config, worker, ctx, close };
}
