import { z } from 'zod';
import { DEFAULT_TARGET_LIMITS, type TargetLimits } from './target/settings.js';
import type { WebhookSettings } from './notify/webhook-sender.js';
import { DEFAULT_WORKER_SIZING, type WorkerSizing } from './worker/sizing.js';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** Temporal refuses fewer than 2 cached workflows or workflow-task slots (0 would disable the cache). */
const atLeastTwo = (fallback: number) => z.coerce.number().int().min(2, { error: 'must be an integer of at least 2' }).default(fallback);

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  DATABASE_URL: z.string().url().optional(),
  ROTATOR_ENCRYPTION_KEY: z.string().optional(),
  // Connections this process opens to one target cluster at most, admin work and login checks together.
  ROTATOR_TARGET_POOL_MAX: positiveInt(DEFAULT_TARGET_LIMITS.poolMax),
  ROTATOR_TARGET_CONNECT_TIMEOUT_MS: positiveInt(DEFAULT_TARGET_LIMITS.connectTimeoutMs),
  ROTATOR_TARGET_STATEMENT_TIMEOUT_MS: positiveInt(DEFAULT_TARGET_LIMITS.statementTimeoutMs),
  ROTATOR_TARGET_LOCK_TIMEOUT_MS: positiveInt(DEFAULT_TARGET_LIMITS.lockTimeoutMs),
  ROTATOR_WORKER_CACHED_WORKFLOWS: atLeastTwo(DEFAULT_WORKER_SIZING.cachedWorkflows),
  ROTATOR_WORKER_WORKFLOW_TASK_SLOTS: atLeastTwo(DEFAULT_WORKER_SIZING.workflowTaskSlots),
  ROTATOR_WORKER_LOCAL_ACTIVITY_SLOTS: positiveInt(DEFAULT_WORKER_SIZING.localActivitySlots),
  ROTATOR_WORKER_STICKY_TIMEOUT_MS: positiveInt(DEFAULT_WORKER_SIZING.stickyQueueTimeoutMs),
  ROTATOR_WORKFLOW_BUNDLE: z.string().optional(),
  ROTATOR_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  ROTATOR_WEBHOOK_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  ROTATOR_WEBHOOK_RETRY_BASE_MS: positiveInt(5_000),
  // The web console links each rotation to its workflow there; unset: no links.
  ROTATOR_TEMPORAL_UI_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

/** Where a rotation's workflow can be looked at: `<url>/namespaces/<namespace>/workflows/<workflowId>`. */
export interface TemporalUi {
  url: string;
  namespace: string;
}

export interface RotatorConfig {
  temporalAddress: string;
  temporalNamespace: string;
  databaseUrl: string | undefined;
  encryptionKey: string | undefined;
  targetLimits: TargetLimits;
  workerSizing: WorkerSizing;
  /** A prebuilt workflow bundle (skips bundling at start-up). */
  workflowBundlePath: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** Alerts on rotation failed / recovered; null when ROTATOR_WEBHOOK_URL is not set. */
  webhook: WebhookSettings | null;
  /** ROTATOR_TEMPORAL_UI_URL (without a trailing slash) and the namespace; null when not set. */
  temporalUi: TemporalUi | null;
}

/** Reads the process environment; an invalid value names the variable and the rule. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RotatorConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid environment: ${issues}`);
  }
  const e = parsed.data;
  if (e.ROTATOR_WEBHOOK_URL && !e.ROTATOR_WEBHOOK_SECRET) {
    throw new Error('invalid environment: ROTATOR_WEBHOOK_SECRET: is required when ROTATOR_WEBHOOK_URL is set (deliveries are signed with it)');
  }
  if (e.ROTATOR_WORKER_WORKFLOW_TASK_SLOTS > e.ROTATOR_WORKER_CACHED_WORKFLOWS) {
    throw new Error(
      `invalid environment: ROTATOR_WORKER_WORKFLOW_TASK_SLOTS: must be at most ROTATOR_WORKER_CACHED_WORKFLOWS (${e.ROTATOR_WORKER_CACHED_WORKFLOWS}): a workflow task needs its workflow in the cache`,
    );
  }
  return {
    temporalAddress: e.TEMPORAL_ADDRESS,
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    databaseUrl: e.DATABASE_URL,
    encryptionKey: e.ROTATOR_ENCRYPTION_KEY,
    targetLimits: {
      poolMax: e.ROTATOR_TARGET_POOL_MAX,
      connectTimeoutMs: e.ROTATOR_TARGET_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.ROTATOR_TARGET_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: e.ROTATOR_TARGET_LOCK_TIMEOUT_MS,
    },
    workerSizing: {
      cachedWorkflows: e.ROTATOR_WORKER_CACHED_WORKFLOWS,
      workflowTaskSlots: e.ROTATOR_WORKER_WORKFLOW_TASK_SLOTS,
      localActivitySlots: e.ROTATOR_WORKER_LOCAL_ACTIVITY_SLOTS,
      stickyQueueTimeoutMs: e.ROTATOR_WORKER_STICKY_TIMEOUT_MS,
    },
    workflowBundlePath: e.ROTATOR_WORKFLOW_BUNDLE,
    logLevel: e.LOG_LEVEL,
    temporalUi: e.ROTATOR_TEMPORAL_UI_URL ? { url: e.ROTATOR_TEMPORAL_UI_URL.replace(/\/+$/, ''), namespace: e.TEMPORAL_NAMESPACE } : null,
    webhook:
      e.ROTATOR_WEBHOOK_URL && e.ROTATOR_WEBHOOK_SECRET
        ? {
            url: e.ROTATOR_WEBHOOK_URL,
            secret: e.ROTATOR_WEBHOOK_SECRET,
            retryBaseMs: e.ROTATOR_WEBHOOK_RETRY_BASE_MS,
            retryMaxMs: 60 * 60_000,
            maxAttempts: 24,
            pollIntervalMs: 1_000,
            timeoutMs: 10_000,
          }
        : null,
  };
}

export function requireDatabaseUrl(config: RotatorConfig): string {
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set: point it at the control database (postgres://user:pass@host:5432/rotator).');
  return config.databaseUrl;
}
