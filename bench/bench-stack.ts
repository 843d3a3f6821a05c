import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { startLocalStack } from '../dev/stack/local-stack.js';
import { dataDir } from '../src/data-dir.js';
import { openServiceContext, type ServiceContext } from '../src/service/context.js';
import { createConnectionSchema } from '../src/domain/connection-schemas.js';
import { addConnection } from '../src/service/connections.js';
import { createProject } from '../src/service/projects.js';
import { type RunningWorker, startWorker, workflowsPath } from '../src/worker/build-worker.js';

export interface BenchStackOptions {
  /**
   * 'in-process' (default): a worker inside this process. 'process': none here; start one as its own process with
   * `startWorkerProcess` of test/support/worker-process.ts (its memory and CPU can then be measured apart from the
   * benchmark's).
   */
  worker?: 'in-process' | 'process';
}

/**
 * A fresh local stack (in `<dataDir>/<dirName>`) for a benchmark, with a service context on it (and a real
 * in-process worker, unless `worker: 'process'`). `close()` shuts the worker down, closes the context and stops
 * the stack.
 */
export async function openBenchStack(dirName: string, opts: BenchStackOptions = {}) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = path.join(dataDir(), dirName);
  const stack = await startLocalStack({ dir, fresh: true });
  const env = {
    ...process.env,
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    ROTATOR_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const worker: RunningWorker | null = opts.worker === 'process' ? null : await startWorker(config);
  const ctx = await openServiceContext(config);
  const close = async (): Promise<void> => {
    await worker?.shutdown().catch(() => {});
    await ctx.close().catch(() => {});
    await stack.stop();
  };
  return { stack, dir, env, config, worker, ctx, close };
}

/**
 * The workflow code bundled once into `<dir>/workflow-bundle.js`, so that a worker process starts without
 * bundling (ROTATOR_WORKFLOW_BUNDLE) and its memory is the worker's, not webpack's.
 */
export async function prebuiltBundle(dir: string): Promise<string> {
  const file = path.join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  await writeFile(file, code);
  return file;
}

// ---- measuring processes (Linux /proc) ---------------------------------------------------------------------

/** Resident memory in MiB: `VmRSS` (now) or `VmHWM` (the peak since the process started). */
export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system) the process has used, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND; // utime, stime
}

/** The `temporal` server process of the dev server started in `<dir>` (it runs under a watchdog shell). */
export function temporalServerPid(dir: string): number {
  const { pgid } = JSON.parse(readFileSync(path.join(dir, 'temporal.db.server.json'), 'utf8')) as { pgid: number };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === pgid && comm === 'temporal') return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no temporal server process in process group ${pgid}`);
}

/** Calls `sample` every `everyMs` until stopped; a failed sample is skipped. */
export function sampleEvery(everyMs: number, sample: () => Promise<void> | void): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.resolve()
        .then(sample)
        .catch(() => {});
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * A target on the stack's cluster: database `bench`, a CREATEROLE (not superuser) admin `bench_admin`, `roles` as
 * login roles with a temporary password, and a project named `projectName` with a connection to it.
 */
export async function benchTarget(bench: { stack: { adminUrl(db: string): string }; ctx: ServiceContext }, projectName: string, roles: readonly string[] = []) {
  const { stack, ctx } = bench;
  const admin = new pg.Client({ connectionString: stack.adminUrl('postgres') });
  await admin.connect();
  const adminPassword = randomBytes(18).toString('base64url');
  try {
    await admin.query('CREATE DATABASE bench');
    await admin.query(`CREATE ROLE bench_admin LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(adminPassword)}`);
    for (const r of roles) await admin.query(`CREATE ROLE ${pg.escapeIdentifier(r)} LOGIN PASSWORD 'temporary_password'`);
  } finally {
    await admin.end();
  }
  const url = new URL(stack.adminUrl('bench'));
  const projectId = (await createProject(ctx, { name: projectName }, 'bench')).id;
  const credentials = { host: url.hostname, port: Number(url.port), database: 'bench', username: 'bench_admin', password: adminPassword };
  const connection = await addConnection(ctx, createConnectionSchema.parse({ name: 'bench', projectId, credentials }), 'bench');
  return { projectId, connection };
}
