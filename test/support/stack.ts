import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { CreateConnectionInput } from '../../src/domain/connection-schemas.js';
import { type CreateRotationInput, createRotationSchema } from '../../src/domain/rotation-schemas.js';
import { parseInput } from '../../src/service/errors.js';
import { addConnection } from '../../src/service/connections.js';
import { createProject } from '../../src/service/projects.js';
import { openServiceContext, type ServiceContext } from '../../src/service/context.js';
import type { TargetConnection } from '../../src/store/connections.js';
import { startWorker, type RunningWorker } from '../../src/worker/build-worker.js';

/** Environment a worker or the CLI needs to reach the test stack. */
export function stackEnv(): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: inject('databaseUrl'),
    ROTATOR_ENCRYPTION_KEY: inject('encryptionKey'),
    ROTATOR_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    LOG_LEVEL: 'info',
  };
}

export const logsDir = () => {
  const dir = path.join(inject('testDataDir'), 'logs');
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** The log file of a process the tests start; the leak audit greps every file in logsDir() for passwords. */
export const logFile = (name: string) => path.join(logsDir(), `${name}.log`);

/** A file that captures worker output (see logFile). */
export function workerLogSink(name: string): (line: string) => void {
  const file = logFile(name);
  return (line) => appendFileSync(file, line.endsWith('\n') ? line : `${line}\n`);
}

const serverOf = () => new URL(inject('adminDatabaseUrl'));

/** The database named in the admin URL (the cluster's maintenance database). */
export const adminDatabase = () => decodeURIComponent(serverOf().pathname.slice(1)) || 'postgres';

/**
 * Logs in over TCP with password auth (the test cluster is scram-sha-256): true, or false on authentication
 * failure (28P01); any other error is thrown, so it fails the test.
 */
export async function canLogin(database: string, user: string, password: string): Promise<boolean> {
  const url = serverOf();
  const client = new pg.Client({ host: url.hostname, port: Number(url.port || 5432), database, user, password, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '28P01') return false;
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestTarget {
  projectId: string;
  database: string;
  roles: [string, string];
  adminRole: string;
  temporaryPassword: string;
  connection: TargetConnection;
  /** A request body for creating a rotation, as Infisical's sample request (raw JSON, for the API and the CLI). */
  rotationBody(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** The same body parsed as the edges parse it: the input `createRotation` takes. */
  rotationInput(overrides?: Record<string, unknown>): CreateRotationInput;
}

export interface TestStack {
  ctx: ServiceContext;
  admin: pg.Pool;
  /** `credentials` overrides fields of the connection's credentials (e.g. the TLS settings). */
  newTarget(label: string, opts?: { roles?: [string, string]; credentials?: Partial<CreateConnectionInput['credentials']> }): Promise<TestTarget>;
  /** An in-process worker on the test stack; `env` adds settings (e.g. a webhook URL). */
  startWorker(name: string, env?: Record<string, string>): Promise<RunningWorker>;
  close(): Promise<void>;
}

const suffix = () => randomBytes(4).toString('hex');

/**
 * The real stack for integration tests: service context on the test Temporal server and control database,
 * plus a factory for target databases with two application roles and a CREATEROLE (non-superuser) admin.
 * `env` overrides stackEnv() for the context and every worker (e.g. another control database or key ring).
 */
export async function openTestStack(env: Record<string, string> = {}): Promise<TestStack> {
  const ctx = await openServiceContext(loadConfig({ ...stackEnv(), ...env }));
  const admin = new pg.Pool({ connectionString: inject('adminDatabaseUrl'), max: 3 });
  const workers: RunningWorker[] = [];
  return {
    ctx,
    admin,
    async newTarget(label, opts) {
      const id = suffix();
      const database = `target_${label}_${id}`;
      const roles: [string, string] = opts?.roles ?? [`app_${label}_${id}_1`, `app_${label}_${id}_2`];
      const adminRole = `rotator_admin_${id}`;
      const adminPassword = randomBytes(18).toString('base64url');
      const temporaryPassword = 'temporary_password';
      const q = pg.escapeIdentifier;
      await admin.query(`CREATE DATABASE ${q(database)}`);
      await admin.query(`CREATE ROLE ${q(adminRole)} LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(adminPassword)}`);
      for (const role of roles) {
        await admin.query(`CREATE ROLE ${q(role)} LOGIN PASSWORD ${pg.escapeLiteral(temporaryPassword)}`);
        await admin.query(`GRANT CONNECT ON DATABASE ${q(database)} TO ${q(role)}`);
      }
      await admin.query(`GRANT CONNECT ON DATABASE ${q(database)} TO ${q(adminRole)}`);
      const url = serverOf();
      const projectId = (await createProject(ctx, { name: `project-${label}-${id}` }, 'test')).id;
      const connection = await addConnection(
        ctx,
        {
          name: `conn-${id}`,
          projectId,
          method: 'username-and-password',
          credentials: { host: url.hostname, port: Number(url.port), database, username: adminRole, password: adminPassword, sslEnabled: false, sslRejectUnauthorized: true, ...opts?.credentials },
        },
        'test',
      );
      const rotationBody = (overrides: Record<string, unknown> = {}) => ({
        name: `rot-${id}`,
        projectId,
        description: 'my database credentials rotation',
        connectionId: connection.id,
        environment: 'dev',
        secretPath: '/',
        isAutoRotationEnabled: true,
        rotationInterval: 30,
        rotateAtUtc: { hours: 0, minutes: 0 },
        parameters: { username1: roles[0], username2: roles[1] },
        secretsMapping: { username: 'POSTGRES_DB_USERNAME', password: 'POSTGRES_DB_PASSWORD' },
        ...overrides,
      });
      return {
        projectId,
        database,
        roles,
        adminRole,
        temporaryPassword,
        connection,
        rotationBody,
        rotationInput: (overrides) => parseInput(createRotationSchema, rotationBody(overrides)),
      };
    },
    async startWorker(name, workerEnv = {}) {
      const { DefaultLogger, Runtime } = await import('@temporalio/worker');
      const sink = workerLogSink(name);
      try {
        Runtime.install({ logger: new DefaultLogger('INFO', (e) => sink(`${e.level} ${e.message} ${JSON.stringify(e.meta ?? {})}`)) });
      } catch {
        // Already installed by an earlier call in this process: the first sink keeps receiving the output.
      }
      const w = await startWorker(loadConfig({ ...stackEnv(), ...env, ...workerEnv }));
      workers.push(w);
      return w;
    },
    async close() {
      await Promise.all(workers.map((w) => w.shutdown().catch(() => {})));
      await ctx.close();
      await admin.end();
    },
  };
}

/**
 * Drops login roles a test created by fixed names (roles are cluster-wide, so a fixed name left behind would meet
 * the next test that wants it). Their privileges go first, e.g. CONNECT on a target database.
 */
export async function dropRoles(admin: Pick<pg.Pool, 'query'>, roles: readonly string[]): Promise<void> {
  const { rows } = await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [roles]);
  if (rows.length === 0) return;
  const names = rows.map((r) => pg.escapeIdentifier(r.rolname)).join(', ');
  await admin.query(`DROP OWNED BY ${names}`);
  await admin.query(`DROP ROLE ${names}`);
}
