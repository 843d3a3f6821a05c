import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startWorker } from './worker/build-worker.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'pg-rotator-worker');
Runtime.install({
  logger: new DefaultLogger('INFO', (entry) => log.info({ ...entry.meta }, entry.message)),
  shutdownSignals: ['SIGINT', 'SIGTERM'],
});

try {
  const running = await startWorker(config);
  log.info({ temporal: config.temporalAddress, sizing: config.workerSizing }, 'worker started');
  await running.run;
} catch (err) {
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'worker failed');
  process.exit(1);
}
