import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { temporalRuntimeMetrics } from './metrics/temporal-runtime.js';
import { startWorker } from './worker/build-worker.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'pg-rotator-worker');
// With a metrics port, the SDK runtime's own metrics are served there too (next to pg-rotator's).
const temporalMetrics = config.metrics ? await temporalRuntimeMetrics() : undefined;
Runtime.install({
  ...(temporalMetrics ? { telemetryOptions: temporalMetrics.telemetryOptions } : {}),
  logger: new DefaultLogger('INFO', (entry) => log.info({ ...entry.meta }, entry.message)),
  shutdownSignals: ['SIGINT', 'SIGTERM'],
});

try {
  const running = await startWorker(config, { temporalMetrics });
  log.info({ temporal: config.temporalAddress, sizing: config.workerSizing }, 'worker started');
  await running.run;
} catch (err) {
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'worker failed');
  process.exit(1);
}
