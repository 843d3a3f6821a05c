import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { type RotatorConfig, requireDatabaseUrl } from '../config.js';
import { startWebhookSender } from '../notify/webhook-sender.js';
import { createControlPool } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { requireKeyRing } from '../store/key-ring.js';
import { SecretBox } from '../store/secret-box.js';
import { type SlotWait, TargetSessions } from '../target/sessions.js';
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

/**
 * Builds a worker from configuration: checks the key first (no key, no start), migrates the control database,
 * then polls the `pg-rotation` task queue (and sends queued webhooks, when a webhook URL is configured).
 */
export async function startWorker(config: RotatorConfig): Promise<RunningWorker> {
  const box = new SecretBox(requireKeyRing(config.keyRing));
  const databaseUrl = requireDatabaseUrl(config);
  await migrate(databaseUrl);
  const pool = createControlPool(databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const sessions = new TargetSessions(config.targetLimits, logSlotWait);
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: TASK_QUEUE,
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : { workflowsPath }),
    activities: createActivities({ db: { pool, box }, sessions, webhooks: config.webhook !== null }),
    ...workerOptions(config.workerSizing),
  });
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
