import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { type RotatorConfig, requireDatabaseUrl } from '../config.js';
import { startWebhookSender } from '../notify/webhook-sender.js';
import { createControlPool } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { SecretBox } from '../store/secret-box.js';
import { TargetSessions } from '../target/sessions.js';
import { TASK_QUEUE } from '../workflows/rotation-messages.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

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
  const box = SecretBox.fromBase64(config.encryptionKey);
  const databaseUrl = requireDatabaseUrl(config);
  await migrate(databaseUrl);
  const pool = createControlPool(databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: TASK_QUEUE,
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : { workflowsPath }),
    activities: createActivities({ db: { pool, box }, sessions: new TargetSessions(config.targetLimits), webhooks: config.webhook !== null }),
  });
  const webhooks = config.webhook ? startWebhookSender(pool, config.webhook) : null;
  const run = worker.run().finally(async () => {
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
