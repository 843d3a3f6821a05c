import { getHeapStatistics } from 'node:v8';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from './config.js';
import { createLogger } from './logger.js';
import { temporalRuntimeMetrics } from './metrics/temporal-runtime.js';
import { startWorker } from './worker/build-worker.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'pg-rotator-worker');
// With a metrics port, the SDK runtime's own metrics are served there too (next to pg-rotator's).
const temporalMetrics = config.metrics ? await temporalRuntimeMetrics() : undefined;
Runtime.install({
  ...(temporalMetrics ? { telemetryOptions: temporalMetrics.telemetryOptions } : {}),
  logger: new DefaultLogger('INFO', (entry) => log.info({ ...entry.meta }, entry.message)),
  shutdownSignals: ['SIGINT', 'SIGTERM'],
});

// The Runtime takes over SIGINT/SIGTERM, but only a running worker hears it: a start-up still waiting for
// Temporal must stop on them too.
const starting = new AbortController();
const stopStarting = () => starting.abort(new Error('stopped by a signal while starting'));
process.once('SIGINT', stopStarting);
process.once('SIGTERM', stopStarting);

try {
  const running = await startWorker(config, { signal: starting.signal, temporalMetrics });
  process.off('SIGINT', stopStarting);
  process.off('SIGTERM', stopStarting);
  // The heap limit says whether the launcher's worker-sized heap applies (bin/pg-rotator-worker).
  const heapLimitMb = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  log.info({ temporal: config.temporal.summary, sizing: config.workerSizing, heapLimitMb }, 'worker started');
  await running.run;
} catch (err) {
  if (starting.signal.aborted) {
    log.info('worker stopped before it started');
    process.exit(0);
  }
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'worker failed');
  process.exit(1);
}
