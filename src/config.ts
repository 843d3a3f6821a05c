import { z } from 'zod';
import { type KeyRing, parseKeyRing } from './store/key-ring.js';
import { DEFAULT_TARGET_LIMITS, type TargetLimits } from './target/settings.js';
import type { WebhookSettings } from './notify/webhook-sender.js';
import { DEFAULT_WORKER_SIZING, type WorkerSizing } from './worker/sizing.js';
import { checkKeyPair, parseCertificate, readSettingFile, SettingError } from './pem.js';
import { HOST_PORT, HOST_PORT_RULE, loadTemporalSettings, type TemporalSettings } from './temporal-connection.js';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** Temporal refuses fewer than 2 cached workflows or workflow-task slots (0 would disable the cache). */
const atLeastTwo = (fallback: number) => z.coerce.number().int().min(2, { error: 'must be an integer of at least 2' }).default(fallback);

const nonEmpty = () => z.string().min(1, { error: 'must not be empty' }).optional();
const flag = z.enum(['true', 'false', '1', '0'], { error: 'must be true, false, 1 or 0' }).optional();
/** A port from `min` to 65535; every way to miss says `rule`. */
function port(min: number, rule: string) {
  const error = { error: `must be ${rule}` };
  return z.coerce.number(error).int(error).min(min, error).max(65535, error);
}

const envSchema = z.object({
  // The Temporal connection as the Temporal CLI reads it; unset values come from the temporal.toml profile, then
  // the defaults (127.0.0.1:7233, namespace default, no TLS). Resolved in temporal-connection.ts.
  TEMPORAL_ADDRESS: z.string().regex(HOST_PORT, { error: HOST_PORT_RULE }).optional(),
  TEMPORAL_NAMESPACE: nonEmpty(),
  TEMPORAL_API_KEY: nonEmpty(),
  TEMPORAL_TLS: flag,
  TEMPORAL_TLS_CLIENT_CERT_PATH: nonEmpty(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: nonEmpty(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: nonEmpty(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: nonEmpty(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: nonEmpty(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: nonEmpty(),
  TEMPORAL_TLS_SERVER_NAME: nonEmpty(),
  // The TypeScript SDK always verifies the server's name; saying otherwise would be a silent lie.
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: z
    .enum(['false', '0'], { error: 'is not supported (the server name is always verified): set TEMPORAL_TLS_SERVER_NAME to a name in its certificate' })
    .optional(),
  TEMPORAL_PROFILE: nonEmpty(),
  TEMPORAL_CONFIG_FILE: nonEmpty(),
  // The REST API process.
  ROTATOR_API_PORT: port(0, 'a port number (an integer 0-65535; 0 picks a free one)').default(8080),
  ROTATOR_API_HOST: z.string().min(1, { error: 'must not be empty' }).default('127.0.0.1'),
  // Its length is checked where it is used (src/service/tokens.ts), so that the rule has one home.
  ROTATOR_ADMIN_TOKEN: z.string().optional(),
  // HTTPS for the API: PEM files; with a client CA, only clients with a certificate it signed get through.
  ROTATOR_API_TLS_CERT: nonEmpty(),
  ROTATOR_API_TLS_KEY: nonEmpty(),
  ROTATOR_API_TLS_CLIENT_CA: nonEmpty(),
  DATABASE_URL: z.string().url().optional(),
  // Parsed by store/key-ring.ts (one home for the ring's rules); both are secrets, never echoed.
  ROTATOR_ENCRYPTION_KEYS: z.string().optional(),
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
  // Prometheus metrics and (worker) health probes; unset = no metrics listener.
  ROTATOR_METRICS_PORT: port(1, 'a port number (an integer 1-65535)').optional(),
  ROTATOR_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // The web console links each rotation to its workflow there; unset: no links.
  ROTATOR_TEMPORAL_UI_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

/** The API's HTTPS material, read and checked at start. */
export interface ApiTls {
  cert: Buffer;
  key: Buffer;
  /** Client certificates must be signed by this CA; undefined: no client certificates asked for. */
  clientCa: Buffer | undefined;
}

/** Where a rotation's workflow can be looked at: `<url>/namespaces/<namespace>/workflows/<workflowId>`. */
export interface TemporalUi {
  url: string;
  namespace: string;
}

export interface RotatorConfig {
  /** How to reach Temporal (address, namespace, TLS, API key), resolved from TEMPORAL_* and temporal.toml. */
  temporal: TemporalSettings;
  databaseUrl: string | undefined;
  /** Root keys (ROTATOR_ENCRYPTION_KEYS, or ROTATOR_ENCRYPTION_KEY as a ring of one); undefined when neither is set. */
  keyRing: KeyRing | undefined;
  targetLimits: TargetLimits;
  workerSizing: WorkerSizing;
  /** A prebuilt workflow bundle (skips bundling at start-up). */
  workflowBundlePath: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** Where /metrics (and the worker's /healthz, /readyz) listen; null when ROTATOR_METRICS_PORT is not set. */
  metrics: { host: string; port: number } | null;
  /** Alerts on rotation failed / recovered; null when ROTATOR_WEBHOOK_URL is not set. */
  webhook: WebhookSettings | null;
  /** null: the API serves plain HTTP (e.g. behind a reverse proxy that terminates TLS). */
  apiTls: ApiTls | null;
  /** Where the REST API listens, and its bootstrap admin token (unset: only project tokens). */
  api: { port: number; host: string; adminToken: string | undefined };
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
  let keyRing: KeyRing | undefined;
  try {
    keyRing = parseKeyRing(e);
  } catch (err) {
    throw new Error(`invalid environment: ${(err as Error).message}`);
  }
  const temporal = loadTemporalSettings(env);
  return {
    temporal,
    apiTls: loadApiTls(e),
    api: { port: e.ROTATOR_API_PORT, host: e.ROTATOR_API_HOST, adminToken: e.ROTATOR_ADMIN_TOKEN },
    databaseUrl: e.DATABASE_URL,
    keyRing,
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
    metrics: e.ROTATOR_METRICS_PORT === undefined ? null : { host: e.ROTATOR_METRICS_HOST, port: e.ROTATOR_METRICS_PORT },
    temporalUi: e.ROTATOR_TEMPORAL_UI_URL ? { url: e.ROTATOR_TEMPORAL_UI_URL.replace(/\/+$/, ''), namespace: temporal.namespace } : null,
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

function loadApiTls(e: z.infer<typeof envSchema>): ApiTls | null {
  const { ROTATOR_API_TLS_CERT: certFile, ROTATOR_API_TLS_KEY: keyFile, ROTATOR_API_TLS_CLIENT_CA: caFile } = e;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new Error('invalid environment: ROTATOR_API_TLS_CERT and ROTATOR_API_TLS_KEY: set both (HTTPS) or neither (plain HTTP)');
  }
  if (certFile === undefined || keyFile === undefined) {
    if (caFile !== undefined) throw new Error('invalid environment: ROTATOR_API_TLS_CLIENT_CA: needs ROTATOR_API_TLS_CERT and ROTATOR_API_TLS_KEY (client certificates are asked for over HTTPS)');
    return null;
  }
  try {
    const cert = readSettingFile('ROTATOR_API_TLS_CERT', certFile);
    const key = readSettingFile('ROTATOR_API_TLS_KEY', keyFile);
    checkKeyPair({ setting: 'ROTATOR_API_TLS_CERT', pem: cert }, { setting: 'ROTATOR_API_TLS_KEY', pem: key });
    const clientCa = caFile === undefined ? undefined : readSettingFile('ROTATOR_API_TLS_CLIENT_CA', caFile);
    if (clientCa) parseCertificate('ROTATOR_API_TLS_CLIENT_CA', clientCa);
    return { cert, key, clientCa };
  } catch (err) {
    if (err instanceof SettingError) throw new Error(`invalid environment: ${err.message}`);
    throw err;
  }
}

/** For a process's start: a bad setting ends it with the message alone (exit 1), not a stack trace. */
export function loadConfigOrExit(): RotatorConfig {
  try {
    return loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

export function requireDatabaseUrl(config: RotatorConfig): string {
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set: point it at the control database (postgres://user:pass@host:5432/rotator).');
  return config.databaseUrl;
}
