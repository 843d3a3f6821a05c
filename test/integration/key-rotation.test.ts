import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withDatabase } from '../../dev/stack/local-stack.js';
import { loadConfig } from '../../src/config.js';
import type { RotationView } from '../../src/domain/rotation-view-schemas.js';
import { openServiceContext, type ServiceContext } from '../../src/service/context.js';
import { type KeyStatus, type ReencryptResult, reencryptSecrets } from '../../src/service/keys.js';
import { createRotation, readGeneratedCredentials, rotateRotation } from '../../src/service/rotations.js';
import { readFolderSecrets } from '../../src/service/secrets.js';
import { readConnectionPassword } from '../../src/store/connections.js';
import { migrate } from '../../src/store/migrate.js';
import { aad } from '../../src/store/secret-box.js';
import type { RunningWorker } from '../../src/worker/build-worker.js';
import { buildLoggedApi } from '../support/api.js';
import { runCli } from '../support/cli.js';
import { auditLeaks, filesIn } from '../support/leak-audit.js';
import { rememberPasswords } from '../support/passwords.js';
import { canLogin, logsDir, openTestStack, stackEnv, type TestStack, type TestTarget } from '../support/stack.js';

// Root key rotation on the real stack, in a control database and Temporal namespace of its own: this file moves every
// ciphertext to a key the rest of the run does not have.
const suffix = randomBytes(4).toString('hex');
const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
/** The single-key form: a ring of one key, id "default". */
const SINGLE = { ROTATOR_ENCRYPTION_KEY: K1 };
/** The new key first (it seals), the old one still opens. */
const BOTH = { ROTATOR_ENCRYPTION_KEY: '', ROTATOR_ENCRYPTION_KEYS: `k2:${K2},default:${K1}` };
/** The old key gone. */
const NEW_ONLY = { ROTATOR_ENCRYPTION_KEY: '', ROTATOR_ENCRYPTION_KEYS: `k2:${K2}` };

let own: Record<string, string>;
let stack: TestStack;
const contexts: ServiceContext[] = [];
const targets: TestTarget[] = [];
const rotations: RotationView[] = [];
const cliDir = mkdtempSync(path.join(os.tmpdir(), 'pgr-keys-'));

async function context(ring: Record<string, string>): Promise<ServiceContext> {
  const ctx = await openServiceContext(loadConfig({ ...stackEnv(), ...own, ...ring }));
  contexts.push(ctx);
  return ctx;
}

function cli(args: string[], ring: Record<string, string>) {
  return runCli(args, { dataDir: cliDir, env: { ...own, ...ring } });
}

async function cliJson<T>(args: string[], ring: Record<string, string>): Promise<T> {
  const r = await cli([...args, '--json'], ring);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const rowsUnder = (s: KeyStatus, keyId: string | null) => s.counts.filter((c) => c.keyId === keyId).reduce((n, c) => n + c.rows, 0);

/** The rotation's mapped pair (latest versions, or a given one), read through `ctx`. */
async function mappedPair(ctx: ServiceContext, t: TestTarget, version?: number): Promise<{ username: string; password: string }> {
  const q = { projectId: t.projectId, environment: 'dev', secretPath: '/' };
  const [u] = await readFolderSecrets(ctx, { ...q, key: 'POSTGRES_DB_USERNAME', version }, 'test');
  const [p] = await readFolderSecrets(ctx, { ...q, key: 'POSTGRES_DB_PASSWORD', version }, 'test');
  return { username: u!.secretValue, password: p!.secretValue };
}

/** Every stored secret of `t` opens through `ctx`, and the published credentials log in. */
async function expectReadable(ctx: ServiceContext, t: TestTarget, rotation: RotationView): Promise<void> {
  const latest = await mappedPair(ctx, t);
  expect(await canLogin(t.database, latest.username, latest.password)).toBe(true);
  const first = await mappedPair(ctx, t, 1); // written under the first key, whatever that was
  expect(first.username).toBe(t.roles[0]);
  const generated = await readGeneratedCredentials(ctx, rotation.id, 'test');
  expect(generated.generatedCredentials).toHaveLength(2);
  const active = generated.generatedCredentials[generated.activeIndex!]!;
  expect(active).toEqual(latest);
  expect((await readConnectionPassword(ctx.db.pool, ctx.db.box, t.connection.id)).length).toBeGreaterThan(0);
}

/** A ciphertext as the single-key code wrote it before key ids existed: 1 | iv | tag | ciphertext. */
function sealV1(key: string, plaintext: string, associatedData: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]);
}

beforeAll(async () => {
  const database = `rotator_keys_${suffix}`;
  const namespace = `keys-${suffix}`;
  const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  await admin.end();
  own = { DATABASE_URL: withDatabase(inject('adminDatabaseUrl'), database), TEMPORAL_NAMESPACE: namespace };
  await migrate(own.DATABASE_URL!);
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  } finally {
    await connection.close();
  }
  stack = await openTestStack({ ...own, ...SINGLE });
  for (let i = 0; i < 3; i++) targets.push(await stack.newTarget(`keys${i}`));
});

afterAll(async () => {
  // What the stored passwords are, for the run's leak audit: a ring that opens everything, whatever step failed.
  if (stack) await rememberPasswords((await context(BOTH)).db).catch(() => {});
  await Promise.all(contexts.map((c) => c.close().catch(() => {})));
  await stack?.close();
});

describe('root key rotation without downtime', () => {
  let worker: RunningWorker;

  it('a bad ring or flag is refused before anything is read or written, naming the variable or flag, the key id and the rule', async () => {
    const short = randomBytes(16).toString('base64');
    const badRing = await cli(['keys', 'status'], { ROTATOR_ENCRYPTION_KEY: '', ROTATOR_ENCRYPTION_KEYS: `k2:${K2},k1:${short}` });
    expect(badRing.code).toBe(2);
    expect(badRing.stderr).toMatch(/ROTATOR_ENCRYPTION_KEYS: key "k1" must decode to 32 bytes, got 16/);
    expect(badRing.stderr).not.toContain(short);
    expect(badRing.stderr).not.toContain(K2);
    const both = await cli(['keys', 'status'], { ...SINGLE, ROTATOR_ENCRYPTION_KEYS: `k2:${K2}` });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/ROTATOR_ENCRYPTION_KEYS and ROTATOR_ENCRYPTION_KEY are both set/);
    const badFlag = await cli(['keys', 're-encrypt', '--batch-size', '0'], SINGLE);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/must be an integer of 1–10000.*--batch-size/);
    expect(badFlag.stdout).toBe('');
  });

  it('rotations run under the single key, id "default" (also rows in the envelope the single-key form wrote)', async () => {
    worker = await stack.startWorker('keys-worker-single');
    for (const t of targets) rotations.push(await createRotation(stack.ctx, t.rotationInput(), 'test'));
    expect(rotations.map((r) => r.rotationStatus)).toEqual(['success', 'success', 'success']);
    // A control database from before key ids: one connection password in the version 1 envelope.
    const t0 = targets[0]!;
    const password = await readConnectionPassword(stack.ctx.db.pool, stack.ctx.db.box, t0.connection.id);
    await stack.ctx.db.pool.query('UPDATE connections SET password_enc = $2 WHERE id = $1', [t0.connection.id, sealV1(K1, password, aad.connectionPassword(t0.connection.id))]);
    const { rows } = await stack.ctx.db.pool.query('SELECT get_byte(password_enc, 0) AS version, key_id FROM connections WHERE id = $1', [t0.connection.id]);
    expect(rows[0]).toEqual({ version: 1, key_id: 'default' });

    const status = await cliJson<KeyStatus>(['keys', 'status'], SINGLE);
    expect(status).toMatchObject({ currentKeyId: 'default', ring: ['default'], left: 0, unreadable: 0 });
    // 3 connections; 2 credentials and 2 secret versions (username, password) per rotation.
    expect(status.counts).toEqual([
      { table: 'connections', keyId: 'default', rows: 3, inRing: true },
      { table: 'credentials', keyId: 'default', rows: 6, inRing: true },
      { table: 'secret_versions', keyId: 'default', rows: 6, inRing: true },
    ]);
  });

  it('with the ring [k2, default] everywhere, new secrets are sealed under k2; re-encrypt stops after --max-batches, runs resume while rotations run, and a last run completes', async () => {
    await worker.shutdown();
    worker = await stack.startWorker('keys-worker-both', BOTH);
    const ctx = await context(BOTH);
    expect((await rotateRotation(ctx, rotations[0]!.id, {}, 'test')).rotationStatus).toBe('success');
    const mixed = await cliJson<KeyStatus>(['keys', 'status'], BOTH);
    expect(mixed).toMatchObject({ currentKeyId: 'k2', ring: ['k2', 'default'], unreadable: 0 });
    // The rotation staged and published one credential (replacing the slot's previous one) and wrote a new pair.
    expect(mixed.counts).toContainEqual({ table: 'credentials', keyId: 'k2', rows: 1, inRing: true });
    expect(mixed.counts).toContainEqual({ table: 'secret_versions', keyId: 'k2', rows: 2, inRing: true });
    expect(mixed.left).toBe(rowsUnder(mixed, 'default'));
    expect(mixed.left).toBe(3 + 5 + 6);

    // One batch of one row, then stop: a run interrupted after any batch leaves every row readable.
    const first = await cli(['keys', 're-encrypt', '--batch-size', '1', '--max-batches', '1', '--json'], BOTH);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe('connections: re-encrypted 1 (1 in this run)\n');
    const partial = JSON.parse(first.stdout) as ReencryptResult;
    expect(partial).toMatchObject({ reencrypted: 1, batches: 1, status: { left: mixed.left - 1 } });
    for (let i = 0; i < targets.length; i++) await expectReadable(ctx, targets[i]!, rotations[i]!);

    // While the two other rotations run: one-row runs, a pause between them (each batch its own transaction; rows a
    // rotation's transaction holds are skipped). Only what committed before both rotations settled is counted.
    let settled = false;
    const rotating = Promise.all([rotateRotation(ctx, rotations[1]!.id, {}, 'test'), rotateRotation(ctx, rotations[2]!.id, {}, 'test')]).finally(() => {
      settled = true;
    });
    let duringRotations = 0;
    while (!settled) {
      const run = await reencryptSecrets(ctx, { batchSize: 1, maxBatches: 1 });
      if (!settled) duringRotations += run.reencrypted;
      await setTimeout(50);
    }
    expect((await rotating).map((r) => r.rotationStatus)).toEqual(['success', 'success']);
    expect(duringRotations).toBeGreaterThan(0);

    // The rest, to completion.
    const rest = await cli(['keys', 're-encrypt', '--batch-size', '2', '--json'], BOTH);
    expect(rest.code, rest.stderr).toBe(0);
    const done = JSON.parse(rest.stdout) as ReencryptResult;
    expect(done.status.left).toBe(0);
    expect(rest.stderr.split('\n').filter(Boolean)).toHaveLength(done.batches);
    console.log(`[key-rotation] ${mixed.left} rows under "default": 1 in the first run, ${duringRotations} while rotations ran, ${done.reencrypted} in the last run (${done.batches} batches)`);

    const after = await cliJson<KeyStatus>(['keys', 'status'], BOTH);
    expect(after.left).toBe(0);
    expect(after.counts.every((c) => c.keyId === 'k2')).toBe(true);
    expect(after.counts.map((c) => c.table)).toEqual(['connections', 'credentials', 'secret_versions']);
    // Idempotent: nothing left to do.
    expect(await cliJson<ReencryptResult>(['keys', 're-encrypt'], BOTH)).toMatchObject({ reencrypted: 0, batches: 0, status: { left: 0 } });
    for (let i = 0; i < targets.length; i++) await expectReadable(ctx, targets[i]!, rotations[i]!);
  });

  it('after re-encryption the old key leaves the ring: every secret stays readable and rotations go on', async () => {
    await worker.shutdown();
    worker = await stack.startWorker('keys-worker-new', NEW_ONLY);
    const ctx = await context(NEW_ONLY);
    for (let i = 0; i < targets.length; i++) await expectReadable(ctx, targets[i]!, rotations[i]!);
    for (let i = 0; i < targets.length; i++) {
      const before = await mappedPair(ctx, targets[i]!);
      const rotated = await rotateRotation(ctx, rotations[i]!.id, {}, 'test');
      expect(rotated.rotationStatus).toBe('success');
      const after = await mappedPair(ctx, targets[i]!);
      expect(after.username).not.toBe(before.username);
      expect(await canLogin(targets[i]!.database, after.username, after.password)).toBe(true);
      await expectReadable(ctx, targets[i]!, rotations[i]!);
    }
    expect(await cliJson<KeyStatus>(['keys', 'status'], NEW_ONLY)).toMatchObject({ currentKeyId: 'k2', ring: ['k2'], left: 0, unreadable: 0 });
    const [status, reencrypt] = await Promise.all([cli(['keys', 'status'], NEW_ONLY), cli(['keys', 're-encrypt'], NEW_ONLY)]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^current key: +k2\nring: +k2\nleft: +0 not under the current key\n\nTABLE +KEY ID +ROWS +IN RING\nconnections +k2 +3 +yes \(current\)\n/);
    expect(reencrypt.code, reencrypt.stderr).toBe(0);
    expect(reencrypt.stdout).toMatch(/^re-encrypted 0 stored secrets under key "k2" in 0 batches\n[^]*nothing left under other keys: the old keys may leave the ring\n$/);
  });

  it('a ring without a key still in use: reads name the missing key id, status counts its rows, re-encrypt changes nothing', async () => {
    // A secret version sealed under a key the ring never had (as after a restore from an older backup).
    const K0 = randomBytes(32).toString('base64');
    const t = targets[0]!;
    const ctxOld = await context({ ROTATOR_ENCRYPTION_KEY: '', ROTATOR_ENCRYPTION_KEYS: `k0:${K0}` });
    const { rows } = await ctxOld.db.pool.query(
      `SELECT v.secret_id, v.version FROM secret_versions v JOIN secrets s ON s.id = v.secret_id
       WHERE s.folder_id = $1 AND s.key = 'POSTGRES_DB_PASSWORD' ORDER BY v.version DESC LIMIT 1`,
      [rotations[0]!.folder.id],
    );
    const { secret_id: secretId, version } = rows[0] as { secret_id: string; version: number };
    const ctx = await context(NEW_ONLY);
    const value = (await mappedPair(ctx, t)).password;
    await ctxOld.db.pool.query('UPDATE secret_versions SET value_enc = $3 WHERE secret_id = $1 AND version = $2', [
      secretId,
      version,
      ctxOld.db.box.seal(value, aad.secretVersion(secretId, version)),
    ]);

    const read = await cli(['secrets', 'get', 'POSTGRES_DB_PASSWORD', '--project', t.projectId, '--env', 'dev'], NEW_ONLY);
    expect(read.code).toBe(2);
    expect(read.stderr).toMatch(/sealed with root key "k0", which is not in the key ring \(ROTATOR_ENCRYPTION_KEYS holds "k2"\)/);
    for (const secret of [K0, K2, value]) expect(read.stderr + read.stdout).not.toContain(secret);

    const adminToken = randomBytes(32).toString('base64url');
    const app = await buildLoggedApi('api-keys', { ctx, adminToken });
    try {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v3/secrets/raw?projectId=${t.projectId}&environment=dev&secretPath=/`,
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(res.statusCode).toBe(500);
      expect(res.json().message).toMatch(/sealed with root key "k0", which is not in the key ring/);
      for (const secret of [K0, K2, value]) expect(res.body).not.toContain(secret);
    } finally {
      await app.close();
    }

    const status = await cliJson<KeyStatus>(['keys', 'status'], NEW_ONLY);
    expect(status.counts).toContainEqual({ table: 'secret_versions', keyId: 'k0', rows: 1, inRing: false });
    expect(status).toMatchObject({ left: 1, unreadable: 1 });

    const refused = await cli(['keys', 're-encrypt'], NEW_ONLY);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/1 stored secrets are sealed under keys ROTATOR_ENCRYPTION_KEYS does not hold \(secret_versions: 1 under key "k0"\).*nothing was re-encrypted/);
    expect(await cliJson<KeyStatus>(['keys', 'status'], NEW_ONLY)).toEqual(status);

    // With k0 back in the ring (after the current key), re-encrypt moves it, and the old ring's key may go again.
    const withK0 = { ROTATOR_ENCRYPTION_KEY: '', ROTATOR_ENCRYPTION_KEYS: `k2:${K2},k0:${K0}` };
    expect(await cliJson<ReencryptResult>(['keys', 're-encrypt'], withK0)).toMatchObject({ reencrypted: 1, status: { left: 0 } });
    expect((await mappedPair(ctx, t)).password).toBe(value);
  });

  it('no password and no root key reached the histories of this namespace, the logs or the control database in the clear', async () => {
    const ctx = await context(BOTH);
    const passwords = await rememberPasswords(ctx.db);
    expect(passwords.length).toBe(3 * 3); // per rotation: the passwords of its three rotations (create, and two more)
    const report = await auditLeaks([...passwords, K1, K2], {
      temporal: ctx.temporal,
      control: ctx.db.pool,
      files: await filesIn(logsDir()),
      markers: targets.map((t) => t.roles[0]),
    });
    expect(report.histories).toBeGreaterThanOrEqual(3);
    expect(report.markersFound.sort()).toEqual(targets.map((t) => t.roles[0]).sort());
    expect(report.hits).toEqual([]);
  });
});
