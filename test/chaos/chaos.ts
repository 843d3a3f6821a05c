/**
 * Chaos harness: rotate-now rotations while faults are injected, with two clients logging in to the target with
 * the mapped secrets the whole time.
 *
 * - Servers: its own control cluster + Temporal dev server (`startLocalStack`) and a separate target cluster, so
 *   that restarting the target does not take the control database down. Worker and API run as child processes.
 * - Prober: every 20 ms reads the mapped pair through the API and logs in to the target with it (fresh
 *   connection, `SELECT 1`). Sticky client: keeps the pair it read until the mapped version is two newer,
 *   logging in with it every ~50 ms (and re-reads after a rejection, like a real client).
 * - Driver: rotate-now (the service's `rotateRotation`, its own Temporal client), retried while a server is
 *   down, until enough rotations completed (counted by the mapped secret's version).
 * - Faults, spread over the run with random jitter: SIGKILL of the worker (the first ones each block one step —
 *   stagePassword, applyPassword, verifyLogin, publish — and kill the worker while it is inside it; the rest at
 *   random moments during rotations), restarts of the target PostgreSQL and of the Temporal dev server, SIGKILL
 *   of the API server.
 *
 * Judging authentication failures (docs/design.md I1, I2): a password published at version k may stop working once
 * the rotation after version k+1 has started (it re-passwords the same role). Every rejected login is checked
 * against the target's statement log (`ALTER ROLE … PASSWORD` with its SCRAM verifier and timestamp) and the
 * publish times of the versions: it is a *violation* unless the role's password had been replaced by a
 * statement logged after version k+1 was published. The statement log is also audited as a whole: no
 * `ALTER ROLE … PASSWORD` may give the role of the published pair a password other than the published one.
 *
 * Leak audit (docs/design.md I3), after the run and before the servers and logs are removed: every password the control
 * database knows (all credentials, all versions of the mapped password secret, the connection's admin password)
 * and every password the clients were served is searched for in every workflow history of the Temporal server
 * (payloads decoded), the target's and the control cluster's statement logs, the Temporal server's log, the
 * worker and API logs, the bodies of the API's error responses, every row of the control database and the report.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createConnectionSchema } from '../../src/domain/connection-schemas.js';
import { createRotationSchema } from '../../src/domain/rotation-schemas.js';
import { scramSha256Verifier, scramVerifierMatches } from '../../src/domain/scram.js';
import { type LocalStack, startLocalStack } from '../../dev/stack/local-stack.js';
import { dataDir, projectRoot } from '../../src/data-dir.js';
import { type LocalCluster, startLocalCluster, stopLocalCluster } from '../../dev/stack/postgres-cluster.js';
import { freePort, isProcessAlive } from '../../dev/stack/process.js';
import { addConnection } from '../../src/service/connections.js';
import { openServiceContext, type ServiceContext } from '../../src/service/context.js';
import { createProject } from '../../src/service/projects.js';
import { createRotation, rotateRotation } from '../../src/service/rotations.js';
import { readFolderSecrets } from '../../src/service/secrets.js';
import { LeakScanner, storedPasswords } from '../support/leak-scan.js';

// ---------------------------------------------------------------------------------------------------------
// Options and report

export interface ChaosOptions {
  /** Rotations to complete (counted by the mapped password's version); the run goes on until every fault ran. */
  rotations: number;
  /**
   * SIGKILLs of the worker. Up to two thirds of them (at least four, when there are four) each block one step
   * (stagePassword, applyPassword, verifyLogin, publish, in turn) and kill the worker inside it; the rest land
   * at a random moment shortly after a rotate-now was sent.
   */
  workerKills: number;
  targetRestarts: number;
  temporalRestarts: number;
  apiKills: number;
  /** Scratch folder, wiped first and removed at the end. Default `<dataDir()>/chaos-<pid>`. */
  dir?: string;
  /** Prebuilt workflow bundle for the workers; default: bundled once into the scratch folder. */
  workflowBundlePath?: string;
  /** Seed of the jitter (reported, so a run can be repeated with the same schedule). */
  seed?: number;
  /** The run is aborted (and reported as such) after this long. Default: generous for the settings. */
  maxDurationMs?: number;
  /** Keep the scratch folder (logs, clusters' data) instead of removing it. */
  keepDir?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Abort the run (cleans up, returns the report so far). */
  signal?: AbortSignal;
}

export type KillPhase = 'stagePassword' | 'applyPassword' | 'verifyLogin' | 'publish';
type FaultKind = `kill-${KillPhase}` | 'kill-random' | 'restart-target' | 'restart-temporal' | 'kill-api';

export interface WorkerKill {
  /** ms since the start of the run. */
  at: number;
  /** The step the worker was blocked in when killed, or 'random'. */
  planned: KillPhase | 'random';
  /** What the evidence (control database, target statement log) says the worker was doing. */
  observed: string;
}

export interface AuthFailure {
  client: 'prober' | 'sticky';
  /** ms since the start of the run (login start). */
  at: number;
  user: string;
  version: number;
  verdict: 'violation' | 'replaced-by-later-rotation';
  why: string;
}

export interface ChaosReport {
  seed: number;
  wallTimeMs: number;
  /** Set when the run did not finish normally (time limit, abort, setup failure after the start). */
  aborted: string | null;
  settings: Pick<ChaosOptions, 'rotations' | 'workerKills' | 'targetRestarts' | 'temporalRestarts' | 'apiKills'>;
  rotations: {
    completed: number;
    /** rotate-now calls sent (first tries and retries). */
    calls: number;
    /** Calls that failed because a server was down (or timed out) and were retried. */
    retriedCalls: number;
    /** Calls answered with "rotation failed" (the workflow gave up on that attempt). */
    failedRotations: number;
    /** From the first call of a driver cycle until the new version was seen, over all cycles. */
    timeMs: { p50: number; p95: number; max: number };
    /** The slowest driver cycles: start (ms since the run began) and duration. */
    slowest: { at: number; ms: number }[];
  };
  logins: {
    attempted: number;
    ok: number;
    prober: number;
    /** Successful logins (connect + SELECT 1 + end). */
    loginTimeMs: { p50: number; p95: number };
    /** Prober logins per second over the run, and ticks skipped because two probes were still running. */
    proberRate: { perSecond: number; skippedTicks: number };
    sticky: number;
    /** I1/I2 violations: must be 0. */
    authFailures: number;
    /** Rejections of a pair whose role had already been re-passworded by the rotation after its successor (I2 allows). */
    rejectedAfterReplacement: { prober: number; sticky: number };
    connectionFailures: { duringTargetRestarts: number; outside: number };
    /** Refused with "too many connections for role": only the verifyLogin fault sets a role's limit to 0. */
    refusedByInjectedLimit: number;
    otherErrors: number;
    /** Every failed login by outcome and error code. */
    errorCodes: Record<string, number>;
  };
  api: {
    reads: number;
    unavailable: { duringApiKills: number; outside: number };
    errorResponses: number;
    /** Successful secret reads. */
    readTimeMs: { p50: number; p95: number };
  };
  faults: {
    workerKills: WorkerKill[];
    /** Blocked steps that no rotation reached in time (the kill was retried). */
    missedBlocks: number;
    targetRestarts: number;
    temporalRestarts: number;
    apiKills: number;
    /** Worker/API processes that exited although nobody killed them. */
    unexpectedExits: string[];
    /** Restarts and API kills with their times (ms since the run began). */
    others: { at: number; what: string }[];
  };
  statementLog: {
    alterRolePassword: number;
    /** ALTER ROLE … PASSWORD statements that gave the published pair's role another password (I1): must be 0. */
    publishedRoleChanged: number;
  };
  finalPairLogsIn: boolean | null;
  authFailureDetails: AuthFailure[];
  /** Violations, each with the timeline ±2 s around it (at most a few). */
  violations: { what: string; timeline: string }[];
  /** For information: the timeline around the first rejection that I2 allows, if any. */
  exampleAllowedRejection: string | null;
  /** docs/design.md I3 over this run's servers (null only when the run failed before it could be audited). */
  leakAudit: LeakAudit | null;
}

export interface LeakAudit {
  /** Distinct passwords searched for (generated ones, the connection's admin password, those the clients were served). */
  passwords: number;
  /** Workflow runs whose whole history was searched. */
  histories: number;
  /** Log files searched: target and control cluster, Temporal server, every worker and API process. */
  logFiles: number;
  apiErrorBodies: number;
  controlDbRows: number;
  bytesScanned: number;
  /** Must be 0. */
  hits: number;
  /** Where each hit was, with the password's fingerprint (first 4 characters and length), never the password. */
  hitDetails: { where: string; password: string }[];
  /** Why the audit cannot be trusted (nothing to search, a source missing, the history scan not reading payloads): must be empty. */
  problems: string[];
  ms: number;
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers

const USER_KEY = 'POSTGRES_DB_USERNAME';
const PASSWORD_KEY = 'POSTGRES_DB_PASSWORD';
const TARGET_DB = 'chaos';
const ADMIN_ROLE = 'chaos_admin';
const APP_ROLES = ['chaos_app_1', 'chaos_app_2'] as const;
const PROBER_INTERVAL_MS = 20;
const STICKY_INTERVAL_MS = 50;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** mulberry32: small seeded PRNG, so that a run's schedule can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const errCode = (err: unknown): string | undefined => {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return undefined;
};
const errMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > until) return false;
    await sleep(everyMs);
  }
}

interface TimelineEvent {
  t: number;
  who: string;
  what: string;
}

// ---------------------------------------------------------------------------------------------------------
// Target statement log

interface LogLine {
  t: number;
  pid: number;
  user: string;
  level: string;
  text: string;
}

const LOG_LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[(\d+)\] (?:(\S*)@(\S*) )?(LOG|FATAL|ERROR|WARNING|DETAIL|HINT|STATEMENT|PANIC):\s+(.*)$/;
const ALTER_PASSWORD = /^statement: ALTER ROLE ("(?:[^"]|"")+"|[A-Za-z0-9_]+) WITH PASSWORD '(SCRAM-SHA-256\$[^']+)'/;

function parseLogLine(line: string): LogLine | undefined {
  const m = LOG_LINE.exec(line);
  if (!m) return undefined;
  return { t: Date.parse(`${m[1]!.replace(' ', 'T')}Z`), pid: Number(m[2]), user: m[3] ?? '', level: m[5]!, text: m[6]! };
}

const unquoteIdent = (s: string): string => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s);

interface AlterEvent {
  t: number;
  role: string;
  /** The SCRAM verifier sent (never printed; only compared with published passwords). */
  verifier: string;
}
interface ConnEvent {
  t: number;
  pid: number;
  user: string;
  app: string;
}

class TargetLog {
  alters: AlterEvent[] = [];
  connections: ConnEvent[] = [];
  disconnections = new Map<number, number>(); // pid → time
  fatals: { t: number; pid: number; user: string; text: string }[] = [];
  server: { t: number; text: string }[] = [];

  static parse(content: string, adminRole: string): TargetLog {
    const log = new TargetLog();
    for (const raw of content.split('\n')) {
      const l = parseLogLine(raw);
      if (!l) continue;
      if (l.level === 'LOG' && l.user === adminRole) {
        const a = ALTER_PASSWORD.exec(l.text);
        if (a) log.alters.push({ t: l.t, role: unquoteIdent(a[1]!), verifier: a[2]! });
      }
      if (l.level === 'LOG' && l.text.startsWith('connection authorized:')) {
        const user = /user=(\S+)/.exec(l.text)?.[1] ?? l.user;
        const app = /application_name=(\S+)/.exec(l.text)?.[1] ?? '';
        log.connections.push({ t: l.t, pid: l.pid, user, app });
      } else if (l.level === 'LOG' && l.text.startsWith('disconnection:')) {
        log.disconnections.set(l.pid, l.t);
      } else if (l.level === 'FATAL') {
        log.fatals.push({ t: l.t, pid: l.pid, user: l.user, text: l.text });
      } else if (l.level === 'LOG' && !l.user && /database system is|shutting down|received fast shutdown/.test(l.text)) {
        log.server.push({ t: l.t, text: l.text });
      }
    }
    return log;
  }
}

/** Reads what was appended to a file since the last call. */
class FileTail {
  private offset = 0;
  constructor(private readonly file: string) {}
  async skipToEnd(): Promise<void> {
    const h = await open(this.file, 'r');
    try {
      this.offset = (await h.stat()).size;
    } finally {
      await h.close();
    }
  }
  async readNew(): Promise<string> {
    const h = await open(this.file, 'r');
    try {
      const { size } = await h.stat();
      if (size <= this.offset) return '';
      const buf = Buffer.alloc(size - this.offset);
      await h.read(buf, 0, buf.length, this.offset);
      this.offset = size;
      return buf.toString('utf8');
    } finally {
      await h.close();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child processes (worker, API)

class Child {
  private child: ResultPromise | undefined;
  private alive = false;
  private generation = 0;
  private killedByUs = false;
  private exited: Promise<void> = Promise.resolve();
  logFile = '';

  constructor(
    private readonly name: 'worker' | 'api',
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logsDir: string,
    private readonly onUnexpectedExit: (what: string) => void,
  ) {}

  get running(): boolean {
    return this.alive;
  }

  spawn(): void {
    this.generation += 1;
    this.logFile = path.join(this.logsDir, `${this.name}-${this.generation}.log`);
    const log = { file: this.logFile, append: true };
    // execa: SIGTERM escalates to SIGKILL after 5 s, and the child dies with this process (its `cleanup`).
    const child = execa(process.execPath, ['--import', 'tsx', this.script], {
      cwd: projectRoot, env: this.env, extendEnv: false, stdin: 'ignore', stdout: log, stderr: log, reject: false, forceKillAfterDelay: 5_000,
    });
    this.child = child;
    this.alive = true;
    this.killedByUs = false;
    const generation = this.generation;
    this.exited = child.then((result) => {
      if (generation === this.generation) this.alive = false;
      if (!this.killedByUs && generation === this.generation) {
        this.onUnexpectedExit(`${this.name}-${generation} exited by itself (${result.signal ?? `exit code ${result.exitCode}`}); see ${path.basename(this.logFile)}`);
      }
    });
  }

  /** SIGKILL (or `signal`), and wait until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child) return;
    this.killedByUs = true;
    if (this.running) this.child.kill(signal);
    await this.exited;
  }

  /** SIGTERM, SIGKILL after 5 s; waits until the process is gone. */
  async stop(): Promise<void> {
    if (this.running) await this.kill('SIGTERM');
  }

  async logContains(text: string): Promise<boolean> {
    return (await readFile(this.logFile, 'utf8').catch(() => '')).includes(text);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The run

interface Pair {
  user: string;
  /** Kept only in memory, for logging in; never recorded or printed. */
  password: string;
  version: number;
  userVersion: number;
}

type LoginOutcome = 'ok' | 'auth' | 'connection' | 'limit' | 'other';
interface LoginRecord {
  client: 'prober' | 'sticky';
  t0: number;
  t1: number;
  user: string;
  version: number;
  userVersion: number;
  outcome: LoginOutcome;
  code?: string;
}

interface Version {
  user: string;
  password: string;
  pubAt: number;
}

interface KillSnapshot {
  t: number;
  planned: KillPhase | 'random';
  /** For a blocked step: what showed the worker was inside it. */
  detected?: string;
  staged: { slot: number; generation: number; createdAt: number }[];
  latestVersionAt: number;
  requestSentAt: number | null;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

function classifyLoginError(err: unknown): { outcome: LoginOutcome; code: string } {
  const code = errCode(err);
  const message = errMessage(err);
  if (code === '28P01' || code === '28000') return { outcome: 'auth', code };
  if (code === '53300') return { outcome: 'limit', code };
  if ((code && CONNECTION_CODES.has(code)) || /Connection terminated|timeout expired|connect ECONNREFUSED|ECONNRESET|socket hang up/i.test(message)) {
    return { outcome: 'connection', code: code ?? message.slice(0, 60) };
  }
  return { outcome: 'other', code: code ?? message.slice(0, 80) };
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const seed = opts.seed ?? (randomBytes(4).readUInt32BE(0) >>> 1);
  const rand = prng(seed);
  const between = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const log = opts.log ?? (() => {});
  const dir = path.resolve(opts.dir ?? path.join(dataDir(), `chaos-${process.pid}`));
  const logsDir = path.join(dir, 'logs');
  const faultCount = opts.workerKills + opts.targetRestarts + opts.temporalRestarts + opts.apiKills;
  const maxDurationMs = opts.maxDurationMs ?? 90_000 + 30_000 * faultCount + 1_500 * opts.rotations;

  const started = Date.now();
  const rel = (t: number) => t - started;
  const timeline: TimelineEvent[] = [];
  const note = (who: string, what: string, t = Date.now()) => {
    timeline.push({ t, who, what });
  };
  const progress = (line: string) => log(`[chaos +${(rel(Date.now()) / 1000).toFixed(1)}s] ${line}`);

  const logins: LoginRecord[] = [];
  const apiStats = { reads: 0, unavailable: [] as number[], errorResponses: 0, okTimes: [] as number[] };
  const targetRestartWindows: [number, number][] = [];
  const apiDownWindows: [number, number][] = [];
  const kills: KillSnapshot[] = [];
  const unexpectedExits: string[] = [];
  const faultCounts = { targetRestarts: 0, temporalRestarts: 0, apiKills: 0, missedBlocks: 0 };
  let aborted: string | null = null;
  let proberSkippedTicks = 0;

  let stack: LocalStack | undefined;
  let target: LocalCluster | undefined;
  let ctx: ServiceContext | undefined;
  let control: pg.Pool | undefined;
  let targetAdmin: pg.Pool | undefined;
  let worker: Child | undefined;
  let api: Child | undefined;
  const tasks: Promise<unknown>[] = [];
  let running = true;
  const stopped = deferred();

  const onAbort = () => {
    aborted ??= 'aborted by signal';
    running = false;
    stopped.resolve();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  // Filled in once the rotation exists.
  let rotationId = '';
  let projectId = '';
  let apiBase = '';
  const adminToken = randomBytes(36).toString('base64url');
  const versions = new Map<number, Version>();
  // For the leak audit: every password the API served, and the body of every API error response.
  const servedPasswords = new Set<string>();
  const apiErrorBodies: { what: string; body: string }[] = [];

  try {
    // ---- servers ------------------------------------------------------------------------------------------
    if (!opts.dir) await removeLeftovers(dataDir());
    await stopLocalCluster(path.join(dir, 'target')).catch(() => undefined); // startLocalStack stops its own
    await rm(dir, { recursive: true, force: true });
    await mkdir(logsDir, { recursive: true });
    progress(`starting servers in ${dir} (seed ${seed})`);
    // Our own servers even when the shell points at external ones: this run restarts them.
    const saved = { DATABASE_URL: process.env.DATABASE_URL, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS };
    delete process.env.DATABASE_URL;
    delete process.env.TEMPORAL_ADDRESS;
    const bundlePath = opts.workflowBundlePath ?? path.join(dir, 'workflow-bundle.js');
    try {
      const [s, t, b] = await Promise.allSettled([
        startLocalStack({ dir, fresh: true }),
        startLocalCluster({ dir: path.join(dir, 'target'), fresh: true }),
        opts.workflowBundlePath ? Promise.resolve() : bundleWorkflows(bundlePath),
      ]);
      if (s.status === 'fulfilled') stack = s.value; // assigned first, so that `finally` stops what did start
      if (t.status === 'fulfilled') target = t.value;
      for (const r of [s, t, b]) if (r.status === 'rejected') throw r.reason;
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
    if (!stack || !target) throw new Error('unreachable: servers not started');
    if (!stack.temporal || !stack.cluster) throw new Error('the chaos run needs a Temporal dev server and a control cluster of its own');
    const temporal = stack.temporal;
    const targetCluster = target;

    // ---- target: database, admin role, two application roles; log connections (evidence for the kills) ----
    targetAdmin = new pg.Pool({ connectionString: target.url('postgres'), max: 3 });
    targetAdmin.on('error', () => {});
    const adminPassword = randomBytes(18).toString('base64url');
    const q = pg.escapeIdentifier;
    await targetAdmin.query('ALTER SYSTEM SET log_connections = on');
    await targetAdmin.query('ALTER SYSTEM SET log_disconnections = on');
    await targetAdmin.query('SELECT pg_reload_conf()');
    await targetAdmin.query(`CREATE DATABASE ${q(TARGET_DB)}`);
    // As a SCRAM verifier, so that the statement log holds no plaintext: the leak audit searches it for this password too.
    await targetAdmin.query(`CREATE ROLE ${q(ADMIN_ROLE)} LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(scramSha256Verifier(adminPassword))}`);
    const { rows: ver } = await targetAdmin.query(`SELECT current_setting('server_version_num')::int AS v`);
    for (const role of APP_ROLES) {
      await targetAdmin.query(`CREATE ROLE ${q(role)} LOGIN PASSWORD 'temporary_password'`);
      await targetAdmin.query(`GRANT CONNECT ON DATABASE ${q(TARGET_DB)} TO ${q(role)}`);
      if (Number(ver[0].v) >= 160000) await targetAdmin.query(`GRANT ${q(role)} TO ${q(ADMIN_ROLE)} WITH ADMIN OPTION`);
    }

    // ---- control side: service context (setup and the driver), a pool for evidence queries ----
    const encryptionKey = randomBytes(32).toString('base64');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      DATABASE_URL: stack.databaseUrl,
      ROTATOR_ENCRYPTION_KEY: encryptionKey,
      ROTATOR_WORKFLOW_BUNDLE: bundlePath,
      LOG_LEVEL: 'info',
    };
    ctx = await openServiceContext(loadConfig({ ...env, LOG_LEVEL: 'warn' }));
    const service = ctx;
    control = new pg.Pool({ connectionString: stack.databaseUrl, max: 3 });
    control.on('error', () => {});
    const controlPool = control;

    projectId = (await createProject(service, { name: 'chaos' }, 'chaos')).id;
    const connection = await addConnection(
      service,
      createConnectionSchema.parse({
        name: 'chaos-target',
        projectId,
        credentials: { host: '127.0.0.1', port: target.port, database: TARGET_DB, username: ADMIN_ROLE, password: adminPassword, sslEnabled: false },
      }),
      'chaos',
    );

    // ---- worker and API ----
    const apiPort = await freePort();
    apiBase = `http://127.0.0.1:${apiPort}`;
    const unexpected = (what: string) => {
      unexpectedExits.push(what);
      note('fault', `UNEXPECTED: ${what}`);
      progress(`UNEXPECTED: ${what}`);
    };
    worker = new Child('worker', 'src/worker.ts', env, logsDir, (what) => {
      unexpected(what);
      if (running) setTimeout(() => running && workerChild.spawn(), 1_000);
    });
    api = new Child('api', 'src/api/main.ts', { ...env, ROTATOR_API_PORT: String(apiPort), ROTATOR_API_HOST: '127.0.0.1', ROTATOR_ADMIN_TOKEN: adminToken }, logsDir, (what) => {
      unexpected(what);
      if (running) setTimeout(() => running && apiChild.spawn(), 1_000);
    });
    const workerChild = worker;
    const apiChild = api;
    const workerReady = async (timeoutMs = 90_000): Promise<void> => {
      if (!(await waitFor('worker', () => workerChild.logContains('worker started'), timeoutMs, 100))) {
        throw new Error(`the worker did not start within ${timeoutMs / 1000} s; see ${workerChild.logFile}`);
      }
    };
    const apiReady = async (timeoutMs = 90_000): Promise<void> => {
      const ok = await waitFor(
        'api',
        async () => {
          try {
            return (await fetch(`${apiBase}/api/status`, { signal: AbortSignal.timeout(1_000) })).ok;
          } catch {
            return false;
          }
        },
        timeoutMs,
        100,
      );
      if (!ok) throw new Error(`the API did not answer within ${timeoutMs / 1000} s; see ${apiChild.logFile}`);
    };
    workerChild.spawn();
    apiChild.spawn();
    await Promise.all([workerReady(), apiReady()]);

    // ---- the rotation (manual rotations only: every rotation is started by the driver) ----
    const created = await createRotation(
      service,
      createRotationSchema.parse({
        name: 'chaos',
        projectId,
        connectionId: connection.id,
        environment: 'dev',
        secretPath: '/',
        isAutoRotationEnabled: false,
        rotationInterval: 30,
        parameters: { username1: APP_ROLES[0], username2: APP_ROLES[1] },
        secretsMapping: { username: USER_KEY, password: PASSWORD_KEY },
      }),
      'chaos',
    );
    rotationId = created.id;

    const currentVersion = async (): Promise<number> => {
      const { rows } = await controlPool.query(
        `SELECT COALESCE(MAX(v.version), 0)::int AS version FROM secret_versions v JOIN secrets s ON s.id = v.secret_id
         WHERE s.rotation_id = $1 AND s.key = $2`,
        [rotationId, PASSWORD_KEY],
      );
      return Number(rows[0].version);
    };
    const initialVersion = await currentVersion();
    let latestVersion = initialVersion;
    const completed = () => latestVersion - initialVersion;
    progress(`rotation ${rotationId} issued (v${initialVersion}); worker, API, prober and sticky client running`);
    const loopStart = Date.now();

    // ---- reading the mapped pair through the API ----
    const secretsUrl = `${apiBase}/api/v3/secrets/raw?projectId=${projectId}&environment=dev&secretPath=%2F`;
    const readPair = async (): Promise<Pair | null> => {
      apiStats.reads += 1;
      const t0 = Date.now();
      try {
        const res = await fetch(secretsUrl, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(3_000) });
        if (!res.ok) {
          apiStats.errorResponses += 1;
          note('api', `GET secrets answered ${res.status}`);
          const text = await res.text().catch((err: unknown) => `(body unreadable: ${errMessage(err)})`);
          apiErrorBodies.push({ what: `GET /api/v3/secrets/raw ${res.status} at +${((t0 - started) / 1000).toFixed(3)}s`, body: text });
          return null;
        }
        const body = (await res.json()) as { secrets: { secretKey: string; secretValue: string; version: number }[] };
        const u = body.secrets.find((s) => s.secretKey === USER_KEY);
        const p = body.secrets.find((s) => s.secretKey === PASSWORD_KEY);
        if (!u || !p) {
          apiStats.errorResponses += 1;
          note('api', 'GET secrets: the mapped secrets are missing');
          return null;
        }
        apiStats.okTimes.push(Date.now() - t0);
        servedPasswords.add(p.secretValue);
        return { user: u.secretValue, password: p.secretValue, version: p.version, userVersion: u.version };
      } catch {
        apiStats.unavailable.push(Date.now());
        return null;
      }
    };

    const login = async (client: 'prober' | 'sticky', pair: Pair): Promise<LoginRecord> => {
      const t0 = Date.now();
      const c = new pg.Client({
        host: '127.0.0.1',
        port: targetCluster.port,
        database: TARGET_DB,
        user: pair.user,
        password: pair.password,
        ssl: false,
        connectionTimeoutMillis: 3_000,
        query_timeout: 3_000,
        application_name: `chaos-${client}`,
      });
      c.on('error', () => {});
      let outcome: LoginOutcome = 'ok';
      let code: string | undefined;
      try {
        await c.connect();
        await c.query('SELECT 1');
      } catch (err) {
        ({ outcome, code } = classifyLoginError(err));
      } finally {
        await c.end().catch(() => {});
      }
      const rec: LoginRecord = { client, t0, t1: Date.now(), user: pair.user, version: pair.version, userVersion: pair.userVersion, outcome, code };
      logins.push(rec);
      if (outcome !== 'ok') note(client, `login as ${pair.user} with v${pair.version}: ${outcome} (${code})`, t0);
      return rec;
    };

    // ---- prober: the newest pair every 20 ms (a new probe each tick; at most two in flight) ----
    tasks.push(
      (async () => {
        let lastSeen = 0;
        let inFlight = 0;
        const probe = async () => {
          const pair = await readPair();
          if (!pair) return;
          if (pair.version !== lastSeen) note('prober', `reads v${pair.version} (${pair.user})`);
          lastSeen = Math.max(lastSeen, pair.version);
          latestVersion = Math.max(latestVersion, pair.version);
          await login('prober', pair);
        };
        for (let tick = Date.now(); running; tick += PROBER_INTERVAL_MS) {
          if (inFlight < 2) {
            inFlight += 1;
            void probe().finally(() => (inFlight -= 1));
          } else proberSkippedTicks += 1;
          const wait = tick + PROBER_INTERVAL_MS - Date.now();
          if (wait > 0) await sleep(wait);
          else tick = Date.now() - PROBER_INTERVAL_MS; // fell behind: do not burst to catch up
        }
        await waitFor('probes', () => inFlight === 0, 10_000, 20);
      })(),
    );

    // ---- sticky client: keeps its pair until the mapped version is two newer ----
    tasks.push(
      (async () => {
        let held: Pair | undefined;
        while (running) {
          const t = Date.now();
          const fresh = await readPair();
          if (fresh && (!held || fresh.version >= held.version + 2)) {
            note('sticky', held ? `drops v${held.version}, takes v${fresh.version} (${fresh.user})` : `takes v${fresh.version} (${fresh.user})`);
            held = fresh;
          }
          if (held) {
            const rec = await login('sticky', held);
            if (rec.outcome === 'auth') held = undefined; // like a real client: re-read after a rejection
          }
          await sleep(Math.max(0, STICKY_INTERVAL_MS - (Date.now() - t)));
        }
      })(),
    );

    // ---- driver ----
    const driver = {
      calls: 0,
      retriedCalls: 0,
      failedRotations: 0,
      cycles: [] as number[],
      cycleStarts: [] as number[],
      requestSentAt: null as number | null,
      park: null as { parked: Deferred<void>; release: Deferred<void> } | null,
      requestListeners: [] as ((t: number) => void)[],
      done: false,
    };
    const pauseDriver = async (): Promise<void> => {
      const req = { parked: deferred(), release: deferred() };
      driver.park = req;
      await Promise.race([req.parked.promise, stopped.promise]);
    };
    const resumeDriver = () => {
      const req = driver.park;
      driver.park = null;
      req?.release.resolve();
    };
    const nextRequest = () => new Promise<number>((resolve) => driver.requestListeners.push(resolve));
    let faultsDone = false;
    let completedAtFaultsDone = 0;
    // While fault i is pending, the driver may run ahead only to just past fault i+1's trigger, so that the faults
    // stay spread over the rotations instead of piling up after the goal (a kill stalls rotations for ~10 s).
    let driverLimit = Infinity;
    const enough = () => faultsDone && completed() >= opts.rotations && completed() >= completedAtFaultsDone + 2;

    tasks.push(
      (async () => {
        let cycle = 0;
        while (running && !enough()) {
          while (running && !driver.park && completed() >= driverLimit) await sleep(20);
          const park = driver.park;
          if (park) {
            park.parked.resolve();
            await Promise.race([park.release.promise, stopped.promise]);
            if (!running) break;
          }
          cycle += 1;
          const before = await currentVersion();
          latestVersion = Math.max(latestVersion, before);
          const cycleStart = Date.now();
          for (let attempt = 1; running; attempt++) {
            const sentAt = Date.now();
            driver.calls += 1;
            driver.requestSentAt = sentAt;
            note('driver', `rotate-now #${cycle}${attempt > 1 ? ` (try ${attempt})` : ''} sent; mapped v${before}`, sentAt);
            for (const l of driver.requestListeners.splice(0)) l(sentAt);
            let failure: { kind: string; message: string } | undefined;
            try {
              await service.temporal.withDeadline(Date.now() + 120_000, () => rotateRotation(service, rotationId, {}, 'chaos'));
            } catch (err) {
              failure = { kind: (err as { kind?: string }).kind ?? 'error', message: errMessage(err).slice(0, 160) };
            }
            driver.requestSentAt = null;
            const after = await currentVersion().catch(() => before);
            latestVersion = Math.max(latestVersion, after);
            if (after > before) {
              const took = Date.now() - cycleStart;
              driver.cycles.push(took);
              driver.cycleStarts.push(cycleStart);
              note('driver', `rotate-now #${cycle} done: v${after} (${formatMs(took)}${failure ? `; the call failed: ${failure.message}` : ''})`);
              break;
            }
            if (failure?.kind === 'failed') driver.failedRotations += 1;
            else driver.retriedCalls += 1;
            note('driver', `rotate-now #${cycle} ${failure ? `failed (${failure.kind}: ${failure.message})` : 'returned without a new version'}; retrying`);
            await sleep(between(200, 500));
          }
          await sleep(between(0, 30));
        }
        driver.done = true;
      })().catch((err: unknown) => {
        aborted ??= `the driver failed: ${errMessage(err)}`;
        progress(aborted);
        running = false;
        stopped.resolve();
      }),
    );

    // ---- faults ----
    const snapshotAtKill = async (planned: KillPhase | 'random', t: number, detected?: string): Promise<void> => {
      const [{ rows: staged }, { rows: latest }] = await Promise.all([
        controlPool.query(`SELECT slot, generation, created_at FROM credentials WHERE rotation_id = $1 AND status = 'staged'`, [rotationId]),
        controlPool.query(
          `SELECT MAX(v.created_at) AS at FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.rotation_id = $1 AND s.key = $2`,
          [rotationId, PASSWORD_KEY],
        ),
      ]);
      kills.push({
        t,
        planned,
        detected,
        staged: staged.map((r) => ({ slot: Number(r.slot), generation: Number(r.generation), createdAt: (r.created_at as Date).getTime() })),
        latestVersionAt: latest[0]?.at ? (latest[0].at as Date).getTime() : 0,
        requestSentAt: driver.requestSentAt,
      });
    };

    const killWorker = async (planned: KillPhase | 'random', detected?: string): Promise<void> => {
      const t = Date.now();
      await workerChild.kill('SIGKILL');
      note('fault', `SIGKILL worker (${planned === 'random' ? 'random moment' : `inside ${planned}`})`, t);
      progress(`worker killed (${planned === 'random' ? 'random moment' : `inside ${planned}`})`);
      await snapshotAtKill(planned, t, detected);
    };
    const respawnWorker = async (): Promise<void> => {
      await sleep(between(0, 500));
      workerChild.spawn();
      note('fault', 'worker started again');
    };

    /** Blocks one step of the next rotation, waits until a worker is inside it, kills that worker. */
    const killInside = async (phase: KillPhase): Promise<boolean> => {
      await workerReady();
      await pauseDriver();
      if (!running) return true;
      await sleep(500); // let the previous rotation's state snapshot (a regular activity) finish
      const [mapped] = await readFolderSecrets(service, { projectId, environment: 'dev', secretPath: '/', key: USER_KEY }, 'chaos');
      const activeUser = mapped?.secretValue;
      const role = activeUser === APP_ROLES[0] ? APP_ROLES[1] : APP_ROLES[0]; // the next rotation re-passwords this one
      let side: pg.PoolClient | undefined;
      let release: () => Promise<void>;
      let blocked: () => Promise<boolean>;
      const detected: Record<KillPhase, string> = {
        stagePassword: 'its INSERT of the staged password was waiting for the table lock',
        applyPassword: 'its ALTER ROLE … PASSWORD was waiting for the row lock',
        verifyLogin: "its login as the role had been refused and it was waiting to retry",
        publish: "publish's SELECT … FOR UPDATE was waiting for the row lock",
      };
      const waiting = async (pool: pg.Pool, sql: string, params: unknown[]) => ((await pool.query(sql, params)).rowCount ?? 0) > 0;
      switch (phase) {
        case 'stagePassword': {
          // stagePassword inserts the staged row: a SHARE lock on the table holds the INSERT (reads pass).
          side = await controlPool.connect();
          await side.query('BEGIN');
          await side.query('LOCK TABLE credentials IN SHARE MODE');
          const s = side;
          release = async () => void (await s.query('ROLLBACK'));
          blocked = () => waiting(controlPool, `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO credentials%'`, []);
          break;
        }
        case 'applyPassword': {
          // An uncommitted change of the role's row holds the worker's ALTER ROLE … PASSWORD (logins still pass).
          side = await targetAdmin!.connect();
          await side.query('BEGIN');
          await side.query(`ALTER ROLE ${q(role)} CONNECTION LIMIT -1`);
          const s = side;
          release = async () => void (await s.query('ROLLBACK'));
          blocked = () => waiting(targetAdmin!, `SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'`, [ADMIN_ROLE]);
          break;
        }
        case 'verifyLogin': {
          // The role may not connect: verifyLogin's login is refused, and the step waits for its retry.
          const tail = new FileTail(targetCluster.logFile);
          await tail.skipToEnd();
          await targetAdmin!.query(`ALTER ROLE ${q(role)} CONNECTION LIMIT 0`);
          release = async () => void (await targetAdmin!.query(`ALTER ROLE ${q(role)} CONNECTION LIMIT -1`));
          let seen = '';
          blocked = async () => {
            seen += await tail.readNew();
            const pids = new Set<number>();
            for (const line of seen.split('\n')) {
              const l = parseLogLine(line);
              if (!l) continue;
              if (l.text.startsWith('connection authorized:') && l.text.includes(`user=${role}`) && l.text.includes('application_name=pg-rotator')) pids.add(l.pid);
              if (l.level === 'FATAL' && pids.has(l.pid) && l.text.includes('too many connections for role')) return true;
            }
            return false;
          };
          break;
        }
        case 'publish': {
          // The rotation's row lock: publish (SELECT … FOR UPDATE) waits; NO KEY UPDATE lets foreign-key checks pass.
          side = await controlPool.connect();
          await side.query('BEGIN');
          await side.query('SELECT 1 FROM rotations WHERE id = $1 FOR NO KEY UPDATE', [rotationId]);
          const s = side;
          release = async () => void (await s.query('ROLLBACK'));
          blocked = () => waiting(controlPool, `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%FROM rotations%FOR UPDATE%'`, []);
          break;
        }
      }
      note('fault', `blocking ${phase} of the next rotation (role ${role})`);
      resumeDriver();
      let hit = false;
      try {
        hit = await waitFor(phase, () => blocked(), 30_000, 5);
        if (hit) {
          await sleep(between(0, 100)); // somewhere inside the blocked step
          await killWorker(phase, detected[phase]);
        } else {
          faultCounts.missedBlocks += 1;
          note('fault', `no rotation reached the blocked ${phase} within 30 s; will try again`);
          progress(`missed a block in ${phase}; will try again`);
        }
      } finally {
        await release().catch(() => {});
        side?.release();
      }
      if (hit) await respawnWorker();
      return hit;
    };

    /**
     * Alternately: a random delay after a rotate-now is sent (lands anywhere, often while the workflow task is
     * being dispatched), or a random delay after the rotation's staged password appears (lands in apply, verify,
     * publish or just after).
     */
    let randomKills = 0;
    const killAtRandom = async (): Promise<void> => {
      await workerReady();
      const afterStage = randomKills++ % 2 === 1;
      const stagedBefore = afterStage ? await stagedGenerations() : new Set<number>();
      const request = nextRequest();
      // The driver must send one more after this point. A rotation in flight (or just done, its version not read
      // yet) was sent before the listener and may bring completed() to a limit of completed() + 1, where the driver
      // would stop with nobody sending: so allow two.
      driverLimit = Math.max(driverLimit, completed() + 2);
      await Promise.race([request, stopped.promise]);
      if (!running) return;
      if (afterStage) {
        const seen = await waitFor('staged', async () => !running || [...(await stagedGenerations())].some((g) => !stagedBefore.has(g)), 30_000, 3);
        if (!running) return;
        if (seen) await sleep(between(0, 150));
      } else {
        const sorted = [...driver.cycles].sort((a, b) => a - b);
        await sleep(between(0, Math.min(250, Math.max(30, percentile(sorted, 50) * 1.2))));
      }
      await killWorker('random', afterStage ? 'a random moment after the staged password appeared' : undefined);
      await respawnWorker();
    };
    const stagedGenerations = async (): Promise<Set<number>> => {
      const { rows } = await controlPool.query(`SELECT generation FROM credentials WHERE rotation_id = $1 AND status = 'staged'`, [rotationId]);
      return new Set(rows.map((r) => Number(r.generation)));
    };

    const restartTarget = async (): Promise<void> => {
      const t0 = Date.now();
      note('fault', 'target PostgreSQL restart begins', t0);
      await targetCluster.restart();
      const t1 = Date.now();
      targetRestartWindows.push([t0, t1]);
      faultCounts.targetRestarts += 1;
      note('fault', `target PostgreSQL is back (${formatMs(t1 - t0)})`, t1);
      progress(`target PostgreSQL restarted (${formatMs(t1 - t0)})`);
    };

    const restartTemporal = async (): Promise<void> => {
      const t0 = Date.now();
      note('fault', 'Temporal dev server restart begins', t0);
      await temporal.restart();
      faultCounts.temporalRestarts += 1;
      note('fault', `Temporal dev server is back (${formatMs(Date.now() - t0)})`);
      progress(`Temporal dev server restarted (${formatMs(Date.now() - t0)})`);
    };

    const killApi = async (): Promise<void> => {
      const t0 = Date.now();
      await apiChild.kill('SIGKILL');
      note('fault', 'SIGKILL API server', t0);
      await sleep(between(300, 1_500));
      apiChild.spawn();
      await apiReady();
      const t1 = Date.now();
      apiDownWindows.push([t0, t1]);
      faultCounts.apiKills += 1;
      note('fault', `API server is back (${formatMs(t1 - t0)} down)`, t1);
      progress(`API server killed and back after ${formatMs(t1 - t0)}`);
    };

    const phases: KillPhase[] = ['stagePassword', 'applyPassword', 'verifyLogin', 'publish'];
    const targeted = Math.min(opts.workerKills, Math.max(Math.min(4, opts.workerKills), 4 * Math.floor((opts.workerKills * 2) / 3 / 4)));
    const plan: FaultKind[] = [
      ...Array.from({ length: targeted }, (_, i) => `kill-${phases[i % 4]!}` as FaultKind),
      ...Array.from({ length: opts.workerKills - targeted }, () => 'kill-random' as const),
      ...Array.from({ length: opts.targetRestarts }, () => 'restart-target' as const),
      ...Array.from({ length: opts.temporalRestarts }, () => 'restart-temporal' as const),
      ...Array.from({ length: opts.apiKills }, () => 'kill-api' as const),
    ];
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    progress(`fault plan: ${plan.join(', ')}`);

    tasks.push(
      (async () => {
        const triggerOf = (i: number) => Math.max(1, Math.round(((i + 1) * opts.rotations) / (plan.length + 1)));
        for (let i = 0; i < plan.length && running; i++) {
          const at = triggerOf(i);
          driverLimit = i + 1 < plan.length ? Math.max(triggerOf(i + 1), at) + 1 : Infinity;
          await waitFor('rotations', () => !running || completed() >= at, maxDurationMs, 50);
          if (!running) return;
          await sleep(between(0, 400));
          const kind = plan[i]!;
          if (kind.startsWith('kill-') && kind !== 'kill-random' && kind !== 'kill-api') {
            const phase = kind.slice('kill-'.length) as KillPhase;
            let hit = false;
            for (let attempt = 0; attempt < 3 && !hit && running; attempt++) hit = await killInside(phase);
          } else if (kind === 'kill-random') await killAtRandom();
          else if (kind === 'restart-target') await restartTarget();
          else if (kind === 'restart-temporal') await restartTemporal();
          else await killApi();
        }
        completedAtFaultsDone = completed();
        faultsDone = true;
        driverLimit = Infinity;
        progress(`all ${plan.length} faults injected; ${completed()} rotations so far`);
      })().catch((err: unknown) => {
        driverLimit = Infinity;
        aborted ??= `fault injection failed: ${errMessage(err)}`;
        progress(aborted);
        running = false;
        stopped.resolve();
      }),
    );

    // ---- wait for the end ----
    const reporter = setInterval(() => {
      const auth = logins.filter((l) => l.outcome === 'auth').length;
      progress(`${completed()} rotations, ${logins.length} logins (${auth} rejected), ${kills.length} worker kills`);
    }, 15_000);
    try {
      const finished = await waitFor('end', () => driver.done || !running, maxDurationMs, 100);
      if (!finished) aborted ??= `time limit of ${formatMs(maxDurationMs)} reached with ${completed()} rotations (stuck?)`;
    } finally {
      clearInterval(reporter);
      running = false;
      stopped.resolve();
      resumeDriver();
    }
    await Promise.race([Promise.allSettled(tasks), sleep(130_000)]);
    const loopEnd = Date.now();
    latestVersion = Math.max(latestVersion, await currentVersion());
    progress(`stopped: ${completed()} rotations; analysing`);

    // ---- evidence ----
    for (let v = 1; v <= latestVersion; v++) {
      const [u] = await readFolderSecrets(service, { projectId, environment: 'dev', secretPath: '/', key: USER_KEY, version: v }, 'chaos');
      const [p] = await readFolderSecrets(service, { projectId, environment: 'dev', secretPath: '/', key: PASSWORD_KEY, version: v }, 'chaos');
      if (u && p) versions.set(v, { user: u.secretValue, password: p.secretValue, pubAt: Date.parse(p.updatedAt) });
    }
    const last = versions.get(latestVersion);
    let finalPairLogsIn: boolean | null = null;
    if (last) {
      const rec = await login('prober', { user: last.user, password: last.password, version: latestVersion, userVersion: latestVersion });
      finalPairLogsIn = rec.outcome === 'ok';
    }
    const targetLog = TargetLog.parse(await readFile(targetCluster.logFile, 'utf8'), ADMIN_ROLE);

    const report = analyse({
      seed,
      started,
      opts,
      aborted,
      initialVersion,
      latestVersion,
      driver,
      logins,
      apiStats,
      apiDownWindows,
      targetRestartWindows,
      kills,
      faultCounts,
      unexpectedExits,
      versions,
      targetLog,
      timeline,
      finalPairLogsIn,
      proberRate: Math.round((logins.filter((l) => l.client === 'prober').length / Math.max(1, loopEnd - loopStart)) * 10_000) / 10,
      proberSkippedTicks,
    });

    // ---- leak audit (I3), before the servers and their logs go ----
    progress('leak audit');
    await Promise.allSettled([workerChild.stop(), apiChild.stop()]); // their logs complete
    report.leakAudit = await auditLeaks({
      service,
      control: controlPool,
      servedPasswords,
      apiErrorBodies,
      logFiles: [
        { file: targetCluster.logFile, name: 'target cluster log' },
        { file: stack.pgLogFile ?? path.join(dir, 'pg', 'postgres.log'), name: 'control cluster log' },
        { file: path.join(dir, 'temporal.log'), name: 'Temporal server log' },
        ...(await readdir(logsDir)).sort().map((f) => ({ file: path.join(logsDir, f), name: `logs/${f}` })),
      ],
      targetLogHasVerifiers: targetLog.alters.length > 0,
      reportText: JSON.stringify(report),
    });
    const la = report.leakAudit;
    progress(`leak audit: ${la.passwords} passwords, ${la.histories} histories, ${la.logFiles} log files, ${formatBytes(la.bytesScanned)} in ${formatMs(la.ms)}: ${la.hits} hits`);
    return report;
  } catch (err) {
    aborted ??= `the run failed: ${errMessage(err)}`;
    progress(aborted);
    throw err;
  } finally {
    running = false;
    stopped.resolve();
    opts.signal?.removeEventListener('abort', onAbort);
    await Promise.race([Promise.allSettled(tasks), sleep(10_000)]);
    await Promise.allSettled([worker?.stop(), api?.stop()]);
    await ctx?.close().catch(() => {});
    await control?.end().catch(() => {});
    await targetAdmin?.end().catch(() => {});
    await Promise.allSettled([target?.stop(), stack?.stop()]);
    if (!opts.keepDir) await rm(dir, { recursive: true, force: true }).catch(() => {});
    progress(opts.keepDir ? `kept ${dir}` : `cleaned up ${dir}`);
  }
}

/** Clusters and folders of chaos runs whose process is gone (killed before it could clean up). */
async function removeLeftovers(base: string): Promise<void> {
  const entries = await readdir(base).catch(() => [] as string[]);
  for (const entry of entries) {
    const pid = /^chaos-(\d+)$/.exec(entry)?.[1];
    if (!pid || Number(pid) === process.pid || isProcessAlive(Number(pid))) continue;
    for (const cluster of ['pg', 'target']) await stopLocalCluster(path.join(base, entry, cluster)).catch(() => undefined);
    await rm(path.join(base, entry), { recursive: true, force: true });
  }
}

async function bundleWorkflows(file: string): Promise<void> {
  const { bundleWorkflowCode, DefaultLogger } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(projectRoot, 'src', 'workflows', 'index.ts'),
    logger: new DefaultLogger('WARN'),
  });
  await writeFile(file, code);
}

// ---------------------------------------------------------------------------------------------------------
// Analysis

interface AnalysisInput {
  seed: number;
  started: number;
  opts: ChaosOptions;
  aborted: string | null;
  initialVersion: number;
  latestVersion: number;
  driver: { calls: number; retriedCalls: number; failedRotations: number; cycles: number[]; cycleStarts: number[] };
  logins: LoginRecord[];
  apiStats: { reads: number; unavailable: number[]; errorResponses: number; okTimes: number[] };
  apiDownWindows: [number, number][];
  targetRestartWindows: [number, number][];
  kills: KillSnapshot[];
  faultCounts: { targetRestarts: number; temporalRestarts: number; apiKills: number; missedBlocks: number };
  unexpectedExits: string[];
  versions: Map<number, Version>;
  targetLog: TargetLog;
  timeline: TimelineEvent[];
  finalPairLogsIn: boolean | null;
  proberRate: number;
  proberSkippedTicks: number;
}

const overlaps = (a0: number, a1: number, windows: [number, number][], before: number, after: number) =>
  windows.some(([w0, w1]) => a0 <= w1 + after && a1 >= w0 - before);

/** The version published at time t (the newest whose publish began at or before t). */
function publishedAt(versions: Map<number, Version>, t: number): [number, Version] | undefined {
  let best: [number, Version] | undefined;
  for (const [v, info] of versions) if (info.pubAt <= t && (!best || v > best[0])) best = [v, info];
  return best;
}

/**
 * A rejected login with the pair of version k is allowed (I2) only when the role's password had been replaced
 * by a statement logged after version k+1 was published, i.e. by the rotation after k+1.
 */
function judgeRejection(r: LoginRecord, versions: Map<number, Version>, log: TargetLog): { verdict: AuthFailure['verdict']; why: string } {
  const vk = versions.get(r.version);
  if (r.userVersion !== r.version) return { verdict: 'violation', why: `I4: the API served username v${r.userVersion} with password v${r.version}` };
  if (!vk) return { verdict: 'violation', why: `version ${r.version} is not in the secret store` };
  if (vk.user !== r.user) return { verdict: 'violation', why: `version ${r.version} maps ${vk.user}, the client used ${r.user}` };
  const replacing = log.alters.find((a) => a.role === r.user && a.t >= vk.pubAt - 2 && a.t <= r.t1 + 2 && !scramVerifierMatches(vk.password, a.verifier));
  if (!replacing) {
    return { verdict: 'violation', why: `I1: rejected although no ALTER ROLE gave ${r.user} another password after v${r.version} was published` };
  }
  const next = versions.get(r.version + 1);
  if (!next || replacing.t < next.pubAt) {
    return {
      verdict: 'violation',
      why: `I2: ${r.user}'s password (v${r.version}) was replaced at +${replacing.t} before its successor v${r.version + 1} was ${next ? `published (+${next.pubAt})` : 'published at all'}`,
    };
  }
  const after = versions.get(r.version + 2);
  const window = after ? (r.t0 < after.pubAt ? `, ${formatMs(after.pubAt - r.t0)} before v${r.version + 2} was published` : `, after v${r.version + 2} was published`) : '';
  return {
    verdict: 'replaced-by-later-rotation',
    why: `${r.user}'s v${r.version} password was replaced by the rotation after v${r.version + 1} (its ALTER ROLE came ${formatMs(replacing.t - next.pubAt)} after v${r.version + 1} was published${window})`,
  };
}

function inferKill(k: KillSnapshot, log: TargetLog): string {
  const staged = k.staged.filter((s) => s.createdAt <= k.t + 1).sort((a, b) => b.generation - a.generation)[0];
  if (!staged) {
    if (k.requestSentAt === null) return 'between rotations (no rotate-now in flight)';
    if (k.latestVersionAt >= k.requestSentAt) return 'after publish (the update had not returned yet)';
    return 'before stagePassword committed (workflow task or stagePassword)';
  }
  const role = APP_ROLES[staged.slot as 0 | 1];
  const alter = log.alters.find((a) => a.role === role && a.t >= staged.createdAt - 2 && a.t <= k.t);
  if (!alter) return 'applyPassword (staged, ALTER ROLE not sent yet)';
  const conn = log.connections.find((c) => c.user === role && c.app === 'pg-rotator' && c.t >= alter.t && c.t <= k.t);
  if (!conn) return 'applyPassword (ALTER ROLE sent, no verify login yet)';
  if (log.fatals.some((f) => f.pid === conn.pid && f.text.includes('too many connections'))) return 'verifyLogin (its login was refused; waiting to retry)';
  const disc = log.disconnections.get(conn.pid);
  if (disc === undefined || disc > k.t) return 'verifyLogin (logged in as the role)';
  return 'publish (verifyLogin done, publish not committed)';
}

function buildTimeline(input: AnalysisInput, center: number, mark: string, centerWho: string): string {
  const { started, versions, targetLog: log, logins } = input;
  const from = center - 2_000;
  const to = center + 2_000;
  const events: TimelineEvent[] = input.timeline.filter((e) => e.t >= from && e.t <= to && !(e.who === 'prober' && e.what.startsWith('reads')));
  for (const [v, info] of versions) if (info.pubAt >= from && info.pubAt <= to) events.push({ t: info.pubAt, who: 'store', what: `v${v} published (${info.user})` });
  for (const a of log.alters) {
    if (a.t < from || a.t > to) continue;
    const own = [...versions.entries()].find(([, info]) => info.user === a.role && Math.abs(info.pubAt - a.t) < 60_000 && scramVerifierMatches(info.password, a.verifier));
    events.push({ t: a.t, who: 'target', what: `ALTER ROLE ${a.role} PASSWORD … (${own ? `v${own[0]}'s password` : 'a password not published (yet)'})` });
  }
  for (const c of log.connections) {
    if (c.t < from || c.t > to || c.app !== 'pg-rotator') continue;
    events.push({ t: c.t, who: 'target', what: c.user === ADMIN_ROLE ? 'the worker opens an admin connection' : `verifyLogin connects as ${c.user}` });
  }
  for (const f of log.fatals) if (f.t >= from && f.t <= to) events.push({ t: f.t, who: 'target', what: `FATAL ${f.text}` });
  for (const s of log.server) if (s.t >= from && s.t <= to) events.push({ t: s.t, who: 'target', what: s.text });
  // Successful logins, summarised per 250 ms.
  for (let b = from; b < to; b += 250) {
    for (const client of ['prober', 'sticky'] as const) {
      const ok = logins.filter((l) => l.client === client && l.outcome === 'ok' && l.t0 >= b && l.t0 < b + 250);
      if (ok.length === 0) continue;
      const vs = [...new Set(ok.map((l) => l.version))].sort((x, y) => x - y);
      events.push({ t: b, who: client, what: `${ok.length} logins ok (v${vs.join(', v')})` });
    }
  }
  events.push({ t: center, who: centerWho, what: `>>> ${mark}` });
  events.sort((a, b) => a.t - b.t);
  const lines = events.map((e) => `    +${((e.t - started) / 1000).toFixed(3).padStart(8)}s  ${e.who.padEnd(7)} ${e.what}`);
  return `timeline ±2 s around +${((center - started) / 1000).toFixed(3)}s:\n${lines.join('\n')}`;
}

function analyse(input: AnalysisInput): ChaosReport {
  const { logins, versions, targetLog: log, started } = input;
  const sorted = [...input.driver.cycles].sort((a, b) => a - b);
  const violations: { what: string; t: number; who: string }[] = [];

  // Rejected logins.
  const authFailureDetails: AuthFailure[] = [];
  const rejected = { prober: 0, sticky: 0 };
  let firstAllowed: LoginRecord | undefined;
  for (const r of logins.filter((l) => l.outcome === 'auth')) {
    const { verdict, why } = judgeRejection(r, versions, log);
    authFailureDetails.push({ client: r.client, at: r.t0 - started, user: r.user, version: r.version, verdict, why: why.replace(/\+(\d{13})/g, (_, t) => `+${((Number(t) - started) / 1000).toFixed(3)}s`) });
    if (verdict === 'violation') violations.push({ what: `${r.client} login as ${r.user} with v${r.version} rejected: ${why}`, t: r.t0, who: r.client });
    else {
      rejected[r.client] += 1;
      firstAllowed ??= r;
    }
  }

  // Statement log: the published role never gets another password while it is published (I1 at every instant).
  let publishedRoleChanged = 0;
  for (const a of log.alters) {
    const cur = publishedAt(versions, a.t);
    if (!cur || cur[1].user !== a.role) continue;
    if (!scramVerifierMatches(cur[1].password, a.verifier)) {
      publishedRoleChanged += 1;
      violations.push({ what: `I1: ALTER ROLE ${a.role} PASSWORD set a password other than the published v${cur[0]}'s while v${cur[0]} was published`, t: a.t, who: 'audit' });
    }
  }
  if (input.finalPairLogsIn === false) violations.push({ what: 'I1: the final mapped pair does not log in', t: Date.now(), who: 'audit' });

  const conn = logins.filter((l) => l.outcome === 'connection');
  const duringRestarts = conn.filter((l) => overlaps(l.t0, l.t1, input.targetRestartWindows, 100, 1_500)).length;
  const apiDown = input.apiStats.unavailable.filter((t) => overlaps(t, t, input.apiDownWindows, 0, 200)).length;

  const errorCodes: Record<string, number> = {};
  for (const l of logins) if (l.outcome !== 'ok') errorCodes[`${l.outcome}: ${l.code}`] = (errorCodes[`${l.outcome}: ${l.code}`] ?? 0) + 1;
  const apiTimes = [...input.apiStats.okTimes].sort((a, b) => a - b);
  const loginTimes = logins.filter((l) => l.outcome === 'ok').map((l) => l.t1 - l.t0).sort((a, b) => a - b);
  const workerKills: WorkerKill[] = input.kills.map((k) => ({
    at: k.t - started,
    planned: k.planned,
    observed: k.detected ? `${k.detected}; evidence: ${inferKill(k, log)}` : inferKill(k, log),
  }));
  const shown = violations.slice(0, 5);
  return {
    seed: input.seed,
    wallTimeMs: Date.now() - started,
    aborted: input.aborted,
    settings: {
      rotations: input.opts.rotations,
      workerKills: input.opts.workerKills,
      targetRestarts: input.opts.targetRestarts,
      temporalRestarts: input.opts.temporalRestarts,
      apiKills: input.opts.apiKills,
    },
    rotations: {
      completed: input.latestVersion - input.initialVersion,
      calls: input.driver.calls,
      retriedCalls: input.driver.retriedCalls,
      failedRotations: input.driver.failedRotations,
      timeMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? 0 },
      slowest: input.driver.cycles
        .map((ms, i) => ({ at: input.driver.cycleStarts[i]! - started, ms }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5),
    },
    logins: {
      attempted: logins.length,
      ok: logins.filter((l) => l.outcome === 'ok').length,
      prober: logins.filter((l) => l.client === 'prober').length,
      loginTimeMs: { p50: percentile(loginTimes, 50), p95: percentile(loginTimes, 95) },
      proberRate: { perSecond: input.proberRate, skippedTicks: input.proberSkippedTicks },
      sticky: logins.filter((l) => l.client === 'sticky').length,
      authFailures: authFailureDetails.filter((f) => f.verdict === 'violation').length,
      rejectedAfterReplacement: rejected,
      connectionFailures: { duringTargetRestarts: duringRestarts, outside: conn.length - duringRestarts },
      refusedByInjectedLimit: logins.filter((l) => l.outcome === 'limit').length,
      otherErrors: logins.filter((l) => l.outcome === 'other').length,
      errorCodes,
    },
    api: {
      reads: input.apiStats.reads,
      unavailable: { duringApiKills: apiDown, outside: input.apiStats.unavailable.length - apiDown },
      errorResponses: input.apiStats.errorResponses,
      readTimeMs: { p50: percentile(apiTimes, 50), p95: percentile(apiTimes, 95) },
    },
    faults: {
      workerKills,
      missedBlocks: input.faultCounts.missedBlocks,
      targetRestarts: input.faultCounts.targetRestarts,
      temporalRestarts: input.faultCounts.temporalRestarts,
      apiKills: input.faultCounts.apiKills,
      unexpectedExits: input.unexpectedExits,
      others: input.timeline
        .filter((e) => e.who === 'fault' && /restart begins|SIGKILL API/.test(e.what))
        .map((e) => ({ at: e.t - started, what: e.what.replace(' begins', '') })),
    },
    statementLog: { alterRolePassword: log.alters.length, publishedRoleChanged },
    finalPairLogsIn: input.finalPairLogsIn,
    authFailureDetails,
    violations: shown.map((v) => ({ what: v.what, timeline: buildTimeline(input, v.t, `VIOLATION: ${v.what}`, v.who) })),
    exampleAllowedRejection: firstAllowed
      ? buildTimeline(input, firstAllowed.t0, `${firstAllowed.client} login with v${firstAllowed.version} rejected (allowed by I2)`, firstAllowed.client)
      : null,
    leakAudit: null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Leak audit

interface LeakAuditInput {
  service: ServiceContext;
  control: pg.Pool;
  servedPasswords: Set<string>;
  apiErrorBodies: { what: string; body: string }[];
  logFiles: { file: string; name: string }[];
  targetLogHasVerifiers: boolean;
  /** The report itself (it is printed, and may be written to a file). */
  reportText: string;
}

async function auditLeaks(input: LeakAuditInput): Promise<LeakAudit> {
  const t0 = Date.now();
  const problems: string[] = [];
  const stage = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      problems.push(`${what} failed: ${errMessage(err).slice(0, 200)}`);
      return undefined;
    }
  };
  const stored = await stage('reading the stored passwords', () => storedPasswords(input.service.db));
  const generated = new Set(stored?.generated ?? []);
  const passwords = new Set([...generated, ...(stored?.connections ?? []), ...input.servedPasswords]);
  if (generated.size === 0) problems.push('the control database holds no generated password to search for');
  if (!stored?.connections.length) problems.push("the connection's admin password was not found");
  const unknown = [...input.servedPasswords].filter((p) => !generated.has(p)).length;
  if (stored && unknown > 0) problems.push(`${unknown} password(s) the API served are not in the control database`);
  const scanner = new LeakScanner(passwords);
  // Canary: a scanner of its own must find every one of them in a text made of them (a search that finds nothing proves nothing).
  const canary = new LeakScanner(passwords);
  canary.scan('canary', [...passwords].map((p) => `x ${p} y`).join('\n'));
  if (canary.hits.length !== passwords.size) problems.push(`the scanner found ${canary.hits.length} of ${passwords.size} passwords planted in a canary text`);

  const temporal = await stage('the Temporal history scan', () => scanner.scanTemporalHistories(input.service.temporal, { markers: [...APP_ROLES] }));
  if (temporal) {
    if (temporal.histories === 0) problems.push('the Temporal server lists no workflow');
    // The workflow inputs carry the role names: not finding them means the scan does not read the payloads.
    else if (temporal.markersFound.length === 0) problems.push(`no Temporal history mentions ${APP_ROLES.join(' or ')}: the scan does not read the payloads`);
  }
  const files = await stage('the log file scan', () => scanner.scanFiles(input.logFiles));
  for (const name of files?.missing ?? []) problems.push(`${name} is missing`);
  if (!input.logFiles.some((f) => f.name.startsWith('logs/worker-')) || !input.logFiles.some((f) => f.name.startsWith('logs/api-'))) {
    problems.push('no worker or no API log file to search');
  }
  if (!input.targetLogHasVerifiers) problems.push('the target log shows no ALTER ROLE … PASSWORD: is log_statement=all in effect?');
  for (const b of input.apiErrorBodies) scanner.scan(`API error body (${b.what})`, b.body);
  const db = await stage('the control database scan', () => scanner.scanControlDb(input.control));
  scanner.scan('the chaos report', input.reportText);

  return {
    passwords: passwords.size,
    histories: temporal?.histories ?? 0,
    logFiles: files?.scanned ?? 0,
    apiErrorBodies: input.apiErrorBodies.length,
    controlDbRows: db?.rows ?? 0,
    bytesScanned: scanner.bytesScanned,
    hits: scanner.hits.length,
    hitDetails: scanner.hits.map((h) => ({ where: h.where, password: h.secret })),
    problems,
    ms: Date.now() - t0,
  };
}

const formatBytes = (n: number): string => (n < 1 << 20 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`);

/** Why the leak audit fails the run (each hit, or why the audit cannot be trusted), one line each; empty when it passes. */
export function leakAuditFailures(r: ChaosReport): string[] {
  const a = r.leakAudit;
  if (!a) return ['the leak audit did not run'];
  return [...a.hitDetails.map((h) => `LEAK: password ${h.password} found in ${h.where}`), ...a.problems.map((p) => `leak audit: ${p}`)];
}

/** Human-readable report (what `npm run test:chaos` prints). */
export function formatReport(r: ChaosReport): string {
  const kills = r.faults.workerKills;
  const byPlan = new Map<string, number>();
  for (const k of kills) byPlan.set(k.planned, (byPlan.get(k.planned) ?? 0) + 1);
  const lines = [
    `chaos run — seed ${r.seed}, wall time ${formatMs(r.wallTimeMs)}${r.aborted ? `, ABORTED: ${r.aborted}` : ''}`,
    `  rotations completed        ${r.rotations.completed} (goal ${r.settings.rotations}); rotate-now calls ${r.rotations.calls}, ${r.rotations.retriedCalls} retried (server down), ${r.rotations.failedRotations} answered "rotation failed"`,
    `  rotation time              p50 ${formatMs(r.rotations.timeMs.p50)}, p95 ${formatMs(r.rotations.timeMs.p95)}, max ${formatMs(r.rotations.timeMs.max)}; slowest: ${r.rotations.slowest.map((c) => `${formatMs(c.ms)} from +${(c.at / 1000).toFixed(1)}s`).join(', ')}`,
    `  logins attempted           ${r.logins.attempted} (prober ${r.logins.prober} = ${r.logins.proberRate.perSecond}/s, ${r.logins.proberRate.skippedTicks} ticks skipped; sticky ${r.logins.sticky}); ${r.logins.ok} ok, login p50 ${formatMs(r.logins.loginTimeMs.p50)} p95 ${formatMs(r.logins.loginTimeMs.p95)}`,
    `  authentication failures    ${r.logins.authFailures} (I1/I2 violations)`,
    `  rejected after replacement prober ${r.logins.rejectedAfterReplacement.prober}, sticky ${r.logins.rejectedAfterReplacement.sticky} (the pair's role had been re-passworded by the rotation after its successor: allowed by I2)`,
    `  connection failures        ${r.logins.connectionFailures.duringTargetRestarts} during target restarts, ${r.logins.connectionFailures.outside} outside them`,
    `  other login errors         ${r.logins.refusedByInjectedLimit} refused by the injected connection limit (verifyLogin fault), ${r.logins.otherErrors} other`,
    `  failed logins by code      ${Object.entries(r.logins.errorCodes).map(([k, n]) => `${k} ×${n}`).join('; ') || 'none'}`,
    `  API reads                  ${r.api.reads}; unavailable ${r.api.unavailable.duringApiKills} while the API was killed, ${r.api.unavailable.outside} otherwise; ${r.api.errorResponses} error responses; read p50 ${formatMs(r.api.readTimeMs.p50)} p95 ${formatMs(r.api.readTimeMs.p95)}`,
    `  faults injected            ${kills.length} worker kills (${[...byPlan].map(([k, n]) => `${k} ${n}`).join(', ')}), ${r.faults.targetRestarts} target restarts, ${r.faults.temporalRestarts} Temporal restarts, ${r.faults.apiKills} API kills; ${r.faults.missedBlocks} missed blocks`,
    ...[
      ...kills.map((k) => ({ at: k.at, line: `kill ${k.planned === 'random' ? 'at random' : `inside ${k.planned}`}: ${k.observed}` })),
      ...r.faults.others.map((o) => ({ at: o.at, line: o.what })),
    ]
      .sort((a, b) => a.at - b.at)
      .map((f) => `      +${(f.at / 1000).toFixed(1).padStart(6)}s  ${f.line}`),
    `  unexpected exits           ${r.faults.unexpectedExits.length ? r.faults.unexpectedExits.join('; ') : 'none'}`,
    `  statement log              ${r.statementLog.alterRolePassword} ALTER ROLE … PASSWORD; ${r.statementLog.publishedRoleChanged} changed the published role's password`,
    `  final mapped pair          ${r.finalPairLogsIn === null ? 'unknown' : r.finalPairLogsIn ? 'logs in' : 'DOES NOT LOG IN'}`,
    r.leakAudit
      ? `  leak audit (I3)            ${r.leakAudit.hits} hits; ${r.leakAudit.passwords} passwords searched in ${r.leakAudit.histories} Temporal histories, ${r.leakAudit.logFiles} log files, ${r.leakAudit.apiErrorBodies} API error bodies, ${r.leakAudit.controlDbRows} control-database rows (${formatBytes(r.leakAudit.bytesScanned)} in ${formatMs(r.leakAudit.ms)})`
      : '  leak audit (I3)            not run',
    ...(r.leakAudit ? leakAuditFailures(r).map((l) => `      ${l}`) : []),
  ];
  for (const v of r.violations) lines.push('', `VIOLATION: ${v.what}`, v.timeline);
  return lines.join('\n');
}
