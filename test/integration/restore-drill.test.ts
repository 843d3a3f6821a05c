// Restore drill (README, "Backup and restore"): the control database is dumped with pg_dump, restored into a new
// PostgreSQL cluster, and a new worker and service pointed at it with the same root key; rotations continue there.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { findPgBinDir, type LocalCluster, startLocalCluster } from '../../dev/stack/postgres-cluster.js';
import { loadConfig } from '../../src/config.js';
import { openServiceContext, type ServiceContext } from '../../src/service/context.js';
import { createRotation, getRotationView, rotateRotation } from '../../src/service/rotations.js';
import { readFolderSecrets } from '../../src/service/secrets.js';
import { rememberPasswords } from '../support/passwords.js';
import { canLogin, openTestStack, stackEnv, type TestStack, type TestTarget } from '../support/stack.js';

let stack: TestStack;
let targets: TestTarget[];
const restoredClusters: LocalCluster[] = [];
const restoredContexts: ServiceContext[] = [];
let drillDir: string;
const bin = findPgBinDir();

beforeAll(async () => {
  stack = await openTestStack();
  targets = [await stack.newTarget('restore_a'), await stack.newTarget('restore_b')];
  drillDir = path.join(inject('testDataDir'), `restore-drill-${randomBytes(3).toString('hex')}`);
});

afterAll(async () => {
  for (const ctx of restoredContexts) {
    await rememberPasswords(ctx.db); // the whole-run leak audit looks for them too
    await ctx.close();
  }
  if (stack) await rememberPasswords(stack.ctx.db);
  await stack?.close();
  for (const cluster of restoredClusters) await cluster.stop();
  await rm(drillDir, { recursive: true, force: true });
});

const folder = (t: TestTarget) => ({ projectId: t.projectId, environment: 'dev', secretPath: '/' });

/** The mapped pair of a target's folder, with the password's version. */
async function mappedPair(ctx: ServiceContext, t: TestTarget) {
  const secrets = await readFolderSecrets(ctx, folder(t), 'restore-drill');
  const get = (key: string) => secrets.find((s) => s.secretKey === key)!;
  return { username: get('POSTGRES_DB_USERNAME').secretValue, password: get('POSTGRES_DB_PASSWORD').secretValue, version: get('POSTGRES_DB_PASSWORD').version };
}

/** The backup: pg_dump's custom format of the control database, taken while workers run (a consistent snapshot). */
async function dumpControlDatabase(name: string): Promise<string> {
  const dump = path.join(drillDir, `${name}.dump`);
  await mkdir(drillDir, { recursive: true });
  await execa(path.join(bin, 'pg_dump'), ['--format=custom', '--file', dump, '--dbname', inject('databaseUrl')]);
  return dump;
}

/** A brand-new cluster with the dump restored into its (empty) `rotator` database, and a service context on it. */
async function restoreIntoNewCluster(name: string, dump: string): Promise<{ url: string; ctx: ServiceContext }> {
  const cluster = await startLocalCluster({ dir: path.join(drillDir, name), fresh: true });
  restoredClusters.push(cluster);
  const url = cluster.url('rotator');
  await execa(path.join(bin, 'pg_restore'), ['--no-owner', '--exit-on-error', '--dbname', url, dump]);
  const ctx = await openServiceContext(loadConfig({ ...stackEnv(), DATABASE_URL: url }));
  restoredContexts.push(ctx);
  return { url, ctx };
}

it('a pg_dump of the control database, restored into a new cluster with the same key, keeps rotations going', async () => {
  // Before: two rotations, one of them rotated once more, served by a worker on the original control database.
  const original = await stack.startWorker('restore-drill-original');
  const rotations = [];
  for (const t of targets) rotations.push(await createRotation(stack.ctx, t.rotationInput(), 'restore-drill'));
  await rotateRotation(stack.ctx, rotations[0]!.id, {}, 'restore-drill');
  const before = await Promise.all(targets.map((t) => mappedPair(stack.ctx, t)));
  expect(before.map((p) => p.version)).toEqual([2, 1]);

  const dump = await dumpControlDatabase('current');

  // Disaster: the control database's cluster is gone. Its worker goes with it (it must not keep serving rotations).
  await original.shutdown();

  // Restore into a brand-new cluster (its empty `rotator` database), then a new worker and service on it.
  const { url: restoredUrl, ctx: restoredCtx } = await restoreIntoNewCluster('current', dump);
  const worker = await stack.startWorker('restore-drill-restored', { DATABASE_URL: restoredUrl });
  expect(worker.worker.getState()).toBe('RUNNING');

  // The secrets are readable with the same key, and the mapped pairs log in on the targets.
  const afterRestore = await Promise.all(targets.map((t) => mappedPair(restoredCtx, t)));
  expect(afterRestore).toEqual(before);
  for (const [i, t] of targets.entries()) expect(await canLogin(t.database, afterRestore[i]!.username, afterRestore[i]!.password)).toBe(true);

  // Rotations continue: rotate-now on each, served by the new worker, written to the restored database.
  for (const [i, t] of targets.entries()) {
    const view = await rotateRotation(restoredCtx, rotations[i]!.id, {}, 'restore-drill');
    expect(view.rotationStatus).toBe('success');
    const pair = await mappedPair(restoredCtx, t);
    expect(pair.version).toBe(before[i]!.version + 1);
    expect(pair.password).not.toBe(before[i]!.password);
    expect(await canLogin(t.database, pair.username, pair.password)).toBe(true);
    expect((await getRotationView(restoredCtx, rotations[i]!.id)).lastRotatedAt).toBe(view.lastRotatedAt);
  }
  // The original control database saw none of it: the new worker works on the restored copy only.
  expect((await Promise.all(targets.map((t) => mappedPair(stack.ctx, t)))).map((p) => p.version)).toEqual([2, 1]);

  // The key is part of the backup: without it the restored secrets cannot be read.
  const otherKey = await openServiceContext(loadConfig({ ...stackEnv(), DATABASE_URL: restoredUrl, ROTATOR_ENCRYPTION_KEY: randomBytes(32).toString('base64') }));
  try {
    await expect(mappedPair(otherKey, targets[0]!)).rejects.toThrow();
  } finally {
    await otherKey.close();
  }
  await worker.shutdown();
});

it('a dump older than the last rotation: its mapped pair still logs in, and the next rotation publishes a fresh one', async () => {
  const t = await stack.newTarget('restore_old');
  const original = await stack.startWorker('restore-drill-old-original');
  const created = await createRotation(stack.ctx, t.rotationInput(), 'restore-drill');
  const dumped = await mappedPair(stack.ctx, t);
  const dump = await dumpControlDatabase('older');
  // A rotation after the dump: the restored database will not know it.
  await rotateRotation(stack.ctx, created.id, {}, 'restore-drill');
  expect((await mappedPair(stack.ctx, t)).version).toBe(dumped.version + 1);
  await original.shutdown();

  const { url, ctx } = await restoreIntoNewCluster('older', dump);
  const worker = await stack.startWorker('restore-drill-old-restored', { DATABASE_URL: url });
  // The lost rotation changed only the role that was not mapped then: the dump's pair still logs in.
  expect(await mappedPair(ctx, t)).toEqual(dumped);
  expect(await canLogin(t.database, dumped.username, dumped.password)).toBe(true);
  for (let i = 1; i <= 2; i += 1) {
    await rotateRotation(ctx, created.id, {}, 'restore-drill');
    const pair = await mappedPair(ctx, t);
    expect(pair.version).toBe(dumped.version + i);
    expect(await canLogin(t.database, pair.username, pair.password)).toBe(true);
  }
  await worker.shutdown();
});
