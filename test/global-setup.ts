// Vitest globalSetup: one PostgreSQL cluster, one Temporal dev server and one workflow bundle for the whole run;
// its teardown audits everything the run left behind for leaked passwords (invariant I3), whatever the test order.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../src/config.js';
import { openServiceContext } from '../src/service/context.js';
import { startLocalStack, type LocalStack } from '../dev/stack/local-stack.js';
import { stopLocalCluster } from '../dev/stack/postgres-cluster.js';
import { dataDir, projectRoot } from '../src/data-dir.js';
import { isProcessAlive } from '../dev/stack/process.js';
import { ensureTemporalBinaries } from '../dev/stack/temporal-binaries.js';
import { auditLeaks, describeAudit, filesIn, ledgerFile, ledgerPasswords } from './support/leak-audit.js';
import { storedPasswords } from './support/leak-scan.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Control database URL (migrated). */
    databaseUrl: string;
    /** Superuser URL of database `postgres` on the same server (create target databases/roles with it). */
    adminDatabaseUrl: string;
    temporalAddress: string;
    /** Statement log of the test cluster (`log_statement = 'all'`); '' when DATABASE_URL points elsewhere. */
    pgLogFile: string;
    /** PEM of the CA that signed the test cluster's server certificate (it serves TLS); '' with DATABASE_URL. */
    pgCaCert: string;
    /** Workflow code bundled once from src/workflows/index.ts: `Worker.create({ workflowBundle: { codePath } })`. */
    workflowBundlePath: string;
    /** Time-skipping test server binary: `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`. */
    testServerPath: string;
    /** Fresh 32-byte root key, base64. */
    encryptionKey: string;
    /** Scratch folder of this run (`<dataDir>/test`, or `<dataDir>/test-<pid>` while another run holds that). */
    testDataDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const { dir: testDataDir, release } = await claimTestDir(dataDir());
  await mkdir(testDataDir, { recursive: true });
  // What the leak audit reads (worker logs, the ledger of generated passwords) belongs to this run only.
  await rm(path.join(testDataDir, 'logs'), { recursive: true, force: true });
  await rm(ledgerFile(testDataDir), { force: true });

  const { testServer } = await ensureTemporalBinaries();
  const workflowBundlePath = path.join(testDataDir, 'workflow-bundle.js');
  const [stackResult, bundleResult] = await Promise.allSettled([
    startLocalStack({ dir: testDataDir, fresh: true, tls: true }),
    bundleWorkflowCode({
      workflowsPath: path.join(projectRoot, 'src', 'workflows', 'index.ts'),
      logger: new DefaultLogger('WARN'),
    }).then(({ code }) => writeFile(workflowBundlePath, code)),
  ]);
  if (stackResult.status === 'rejected') {
    await release();
    throw stackResult.reason;
  }
  const stack = stackResult.value;
  if (bundleResult.status === 'rejected') {
    await stack.stop().catch(() => undefined);
    await release();
    throw bundleResult.reason;
  }
  console.log(
    `[global-setup] stack ready in ${Date.now() - started} ms: temporal ${stack.temporalAddress}` +
      (stack.pgLogFile ? `, pg log ${stack.pgLogFile}` : ''),
  );

  project.provide('databaseUrl', stack.databaseUrl);
  project.provide('adminDatabaseUrl', stack.adminUrl('postgres'));
  project.provide('temporalAddress', stack.temporalAddress);
  project.provide('pgLogFile', stack.pgLogFile ?? '');
  project.provide('pgCaCert', stack.pgCaCert ?? '');
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('testServerPath', testServer);
  const encryptionKey = randomBytes(32).toString('base64');
  project.provide('encryptionKey', encryptionKey);
  project.provide('testDataDir', testDataDir);

  return async () => {
    try {
      await auditRun(stack, encryptionKey, testDataDir);
    } finally {
      try {
        await stack.stop();
      } finally {
        await release();
      }
    }
  };
}

/**
 * Every password of the run (the ledger tests append to, and what the control database holds now) searched for in
 * every Temporal history, the target server's log, the run's worker/API logs and the control database. A hit, or an
 * audit that could not run, fails the run: a teardown's exception would only be printed, so the exit code is set.
 */
async function auditRun(stack: LocalStack, encryptionKey: string, testDataDir: string): Promise<void> {
  try {
    const ctx = await openServiceContext(
      loadConfig({ DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.temporalAddress, ROTATOR_ENCRYPTION_KEY: encryptionKey }),
    );
    try {
      const passwords = [...(await ledgerPasswords(testDataDir)), ...(await storedPasswords(ctx.db)).generated];
      if (passwords.length === 0) return; // no test generated any (e.g. a unit-only run)
      const files = [...(stack.pgLogFile ? [stack.pgLogFile] : []), ...(await filesIn(path.join(testDataDir, 'logs')))];
      const report = await auditLeaks(passwords, { temporal: ctx.temporal, control: ctx.db.pool, files });
      console.log(describeAudit('whole run', report));
      if (report.hits.length > 0) {
        console.error(`[leak-audit] FAILED: ${report.hits.length} leaked passwords (fingerprints above)`);
        process.exitCode = 1;
      }
    } finally {
      await ctx.close();
    }
  } catch (err) {
    console.error(`[leak-audit] FAILED: the whole-run audit could not run: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  }
}

/**
 * `<base>/test`, or `<base>/test-<pid>` while another test run (e.g. a colleague's, same checkout) holds
 * `<base>/test`: a run starts fresh and must not wipe the cluster another live run is using.
 * Leftovers of dead runs (`test-<pid>` whose process is gone) are stopped and removed.
 */
async function claimTestDir(base: string): Promise<{ dir: string; release: () => Promise<void> }> {
  await mkdir(base, { recursive: true });
  for (const entry of await readdir(base)) {
    const pid = /^test-(\d+)$/.exec(entry)?.[1];
    if (!pid || isProcessAlive(Number(pid))) continue;
    await stopLocalCluster(path.join(base, entry, 'pg')).catch(() => undefined);
    await rm(path.join(base, entry), { recursive: true, force: true });
    await rm(path.join(base, `${entry}.lock`), { recursive: true, force: true });
  }
  for (const name of ['test', `test-${process.pid}`]) {
    const lock = path.join(base, `${name}.lock`);
    if (await tryLock(lock)) {
      if (name !== 'test') console.log(`[global-setup] ${base}/test is in use by another test run; using ${name}`);
      return { dir: path.join(base, name), release: () => rm(lock, { recursive: true, force: true }) };
    }
  }
  throw new Error(`Cannot claim a test folder under ${base}.`);
}

async function tryLock(lock: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, 'owner'), String(process.pid));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(path.join(lock, 'owner'), 'utf8').catch(() => ''));
      const young = Date.now() - (await stat(lock)).mtimeMs < 10_000;
      if ((owner > 0 && isProcessAlive(owner)) || (!owner && young)) return false;
      await rm(lock, { recursive: true, force: true }); // its run died without teardown
    }
  }
  return false;
}
