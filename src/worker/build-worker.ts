import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { TemporalRuntimeMetrics } from '../metrics/temporal-runtime.js';
import { startWorkerOps } from '../metrics/worker-ops.js';
import { type RotatorConfig, requireDatabaseUrl } from '../config.js';
import { startWebhookSender } from '../notify/webhook-sender.js';
import { createControlPool } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { requireKeyRing } from '../store/key-ring.js';
import { SecretBox } from '../store/secret-box.js';
import { type SlotWait, TargetSessions } from '../target/sessions.js';
import { type RetryOptions, retryWhileUnavailable } from '../temporal-connection.js';
import { TASK_QUEUE } from '../workflows/rotation-messages.js';
import { workerOptions } from './sizing.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** How often the worker logs its running total of waits for target connection slots (when it changed). */
const SLOT_WAIT_REPORT_MS = 60_000;

/** The running activity's logger (its workflow and step in every line), or the worker's outside one. */
function currentLogger(): Logger {
  try {
    return Context.current().log;
  } catch {
    return Runtime.instance().logger;
  }
}

function logSlotWait({ cluster, waitedMs, acquired }: SlotWait): void {
  currentLogger().info(acquired ? 'waited for a target connection slot' : 'gave up waiting for a target connection slot', { cluster, waitedMs });
}

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  run: Promise<void>;
  shutdown(): Promise<void>;
}

export interface StartWorkerOptions {
  /** Gives up waiting for an unavailable Temporal (e.g. on SIGTERM during start-up). */
  signal?: AbortSignal;
  /** The SDK runtime's own metrics, served next to pg-rotator's on the metrics port. */
  temporalMetrics?: TemporalRuntimeMetrics;
}

/**
 * Builds a worker from configuration: checks the key first (no key, no start), migrates the control database,
 * then polls the `pg-rotation` task queue (and sends queued webhooks, when a webhook URL is configured; serves
 * metrics and health probes, when a metrics port is). While Temporal is unavailable it waits and retries (logging
 * each retry); TLS, credential and namespace problems fail at once.
 */
export async function startWorker(config: RotatorConfig, options: StartWorkerOptions = {}): Promise<RunningWorker> {
  const box = new SecretBox(requireKeyRing(config.keyRing));
  const databaseUrl = requireDatabaseUrl(config);
  await migrate(databaseUrl);
  const pool = createControlPool(databaseUrl);
  const sessions = new TargetSessions(config.targetLimits, logSlotWait);
  const retry: RetryOptions = {
    signal: options.signal,
    onRetry: ({ what, attempt, retryInMs, reason }) =>
      Runtime.instance().logger.warn(`${what}: Temporal is unavailable, retrying`, { temporal: config.temporal.summary, attempt, retryInMs, reason }),
  };
  const giveUp = async (err: unknown, connection?: NativeConnection): Promise<never> => {
    await connection?.close().catch(() => {});
    await pool.end().catch(() => {});
    throw err;
  };
  const connection = await retryWhileUnavailable('connecting to Temporal', config.temporal, () => NativeConnection.connect(config.temporal.connection), retry).catch(
    (err: unknown) => giveUp(err),
  );
  // Worker.create checks the namespace: the server can go away between the connect and this call.
  const worker = await retryWhileUnavailable(
    'registering the worker',
    config.temporal,
    () =>
      Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: TASK_QUEUE,
        ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : { workflowsPath }),
        activities: createActivities({ db: { pool, box }, sessions, webhooks: config.webhook !== null }),
        ...workerOptions(config.workerSizing),
      }),
    retry,
  ).catch((err: unknown) => giveUp(err, connection));
  const ops = config.metrics ? await startWorkerOps({ listen: config.metrics, db: pool, connection, worker, temporalMetrics: options.temporalMetrics }) : null;
  if (ops) Runtime.instance().logger.info('metrics and health probes listening', { url: ops.url, paths: ['/metrics', '/healthz', '/readyz'] });
  const webhooks = config.webhook ? startWebhookSender(pool, config.webhook) : null;
  let reported = 0;
  const waitReport = setInterval(() => {
    const { waits, waitedMs } = sessions.waitTotals;
    if (waits === reported) return;
    reported = waits;
    Runtime.instance().logger.info('target connection slot waits since start', { waits, waitedMs });
  }, SLOT_WAIT_REPORT_MS).unref();
  const run = worker.run().finally(async () => {
    clearInterval(waitReport);
    await ops?.close();
    await webhooks?.stop();
    await pool.end().catch(() => {});
    await connection.close().catch(() => {});
  });
  return {
    worker,
    run,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run;
    },
  };
}
