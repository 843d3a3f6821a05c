// The real CLI, as a child process, against the real stack (Temporal dev server, control database, targets).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/data-dir.js';
import { createProject } from '../../src/service/projects.js';
import { deleteRotation, getRotationView } from '../../src/service/rotations.js';
import { runCli as runCliIn, type CliOptions, type CliResult } from '../support/cli.js';
import { expectSeedShape } from '../support/seed-sample.js';
import { canLogin, openTestStack, stackEnv, type TestStack, type TestTarget } from '../support/stack.js';

let dataDir = '';
let spawns = 0;

/** Runs `tsx src/cli/main.ts …` with only the stack's environment (no dev env file: empty ROTATOR_DATA_DIR). */
function runCli(args: string[], opts: Omit<CliOptions, 'dataDir'> = {}): Promise<CliResult> {
  spawns += 1;
  return runCliIn(args, { dataDir, ...opts });
}

/** Parses stdout as JSON, failing with the CLI's stderr when the command did not succeed. */
function okJson<T = Record<string, unknown>>(r: CliResult): T {
  expect(r.stderr, 'stderr').toBe('');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

describe('pg-rotator CLI against the real stack', () => {
  let stack: TestStack;
  let a: TestTarget; // rotation created with flags, taken through its whole life
  let b: TestTarget; // rotation created with --file (Infisical's sample request)
  let rotationA = '';
  let rotationB = '';
  let activePasswordA = '';
  const started = Date.now();

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-cli-'));
    stack = await openTestStack();
    await stack.startWorker('cli-test');
    [a, b] = await Promise.all([stack.newTarget('cli'), stack.newTarget('clifile')]);
  });

  afterAll(async () => {
    if (rotationB) await deleteRotation(stack.ctx, rotationB, { deleteSecrets: true, revokeGeneratedCredentials: true }, 'test').catch(() => {});
    await stack?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    console.log(`[cli.test] ${spawns} CLI processes in ${Date.now() - started} ms`);
  });

  it('rotation create with flags and with --file (Infisical sample request): --json has every field of the sample response', async () => {
    const flags = [
      'rotation', 'create', '--json',
      '--name', 'cli-rotation', '--project', a.projectId, '--connection', a.connection.id, '--env', 'dev', '--path', '/',
      '--description', 'my database credentials rotation', '--interval', '30', '--rotate-at', '00:00',
      '--username1', a.roles[0], '--username2', a.roles[1],
      '--username-secret', 'POSTGRES_DB_USERNAME', '--password-secret', 'POSTGRES_DB_PASSWORD',
    ];
    const seedFile = path.join(dataDir, 'seed-request.json');
    await writeFile(seedFile, JSON.stringify(b.rotationBody({ name: 'my-pg-rotation' }), null, 2));
    const [fromFlags, fromFile] = await Promise.all([runCli(flags), runCli(['rotation', 'create', '--file', seedFile, '--json'])]);

    const va = okJson(fromFlags);
    expectSeedShape(va, { nullAllowsAny: true });
    expect(va).toMatchObject({
      name: 'cli-rotation',
      projectId: a.projectId,
      connectionId: a.connection.id,
      activeIndex: 0,
      rotationStatus: 'success',
      isAutoRotationEnabled: true,
      rotationInterval: 30,
      type: 'postgres-credentials',
      parameters: { username1: a.roles[0], username2: a.roles[1] },
      environment: { slug: 'dev', name: 'Development' },
      folder: { path: '/' },
    });
    rotationA = va.id as string;

    const vb = okJson(fromFile);
    expectSeedShape(vb, { nullAllowsAny: true });
    expect(vb).toMatchObject({ name: 'my-pg-rotation', projectId: b.projectId, activeIndex: 0, rotationStatus: 'success' });
    rotationB = vb.id as string;

    // Issuing replaced the temporary passwords typed into CREATE ROLE.
    expect(await canLogin(a.database, a.roles[0], a.temporaryPassword)).toBe(false);
    expect(await canLogin(b.database, b.roles[1], b.temporaryPassword)).toBe(false);
  });

  it('rotation list and get, in JSON and as text', async () => {
    const [list, all, get, getText, missing] = await Promise.all([
      runCli(['rotation', 'list', '--project', a.projectId, '--json']),
      runCli(['rotation', 'list']),
      runCli(['rotation', 'get', rotationA, '--json']),
      runCli(['rotation', 'get', rotationA]),
      runCli(['rotation', 'get', randomUUID(), '--json']),
    ]);
    const rows = okJson<{ id: string; name: string }[]>(list);
    expect(rows.map((r) => r.id)).toEqual([rotationA]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^ID +NAME +ENV +PATH +ACTIVE +STATUS +AUTO +NEXT ROTATION$/m);
    expect(all.stdout).toContain(rotationA);
    expect(all.stdout).toContain(rotationB);

    expect(okJson(get)).toMatchObject({ id: rotationA, activeIndex: 0, rotationStatus: 'success' });
    expect(getText.code).toBe(0);
    expect(getText.stdout).toMatch(new RegExp(`^active index: +0 \\(${a.roles[0]}\\)$`, 'm'));
    expect(getText.stdout).toMatch(/^secrets: +POSTGRES_DB_USERNAME \(username\), POSTGRES_DB_PASSWORD \(password\)$/m);

    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: 'not-found', message: expect.stringContaining('rotationId') });
  });

  it('update with flags, then rotate waits and prints activeIndex 1; the published password logs in', async () => {
    // Only the length is given: the CLI merges it into the current parameters (usernames must stay as they are).
    const updateRun = await runCli(['rotation', 'update', rotationA, '--password-length', '24', '--json']);
    const update = okJson(updateRun);
    expect(update).toMatchObject({ parameters: { username1: a.roles[0], username2: a.roles[1], passwordRequirements: { length: 24 } } });

    const rotate = await runCli(['rotation', 'rotate', rotationA]);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout).toMatch(new RegExp(`^active index: +1 \\(${a.roles[1]}\\)$`, 'm'));
    expect(rotate.stdout).toMatch(/^status: +success$/m);

    const scope = ['--project', a.projectId, '--env', 'dev'];
    const [pw, user, list, first] = await Promise.all([
      runCli(['secrets', 'get', 'POSTGRES_DB_PASSWORD', ...scope, '--json']),
      runCli(['secrets', 'get', 'POSTGRES_DB_USERNAME', ...scope]),
      runCli(['secrets', 'list', ...scope, '--path', '/', '--json']),
      runCli(['secrets', 'get', 'POSTGRES_DB_PASSWORD', ...scope, '--version', '1', '--json']),
    ]);
    const secret = okJson<{ secretKey: string; secretValue: string; version: number }>(pw);
    expect(secret).toMatchObject({ secretKey: 'POSTGRES_DB_PASSWORD', version: 2 });
    const v1 = okJson<{ secretValue: string; version: number }>(first);
    expect(v1.version).toBe(1);
    expect(v1.secretValue).toHaveLength(48); // issued before the update to 24
    // The previous credential (slot 0) still works for one more interval (I2).
    expect(await canLogin(a.database, a.roles[0], v1.secretValue)).toBe(true);
    expect(secret.secretValue).toHaveLength(24);
    expect(user.code).toBe(0);
    expect(user.stdout).toBe(`${a.roles[1]}\n`);
    expect(await canLogin(a.database, a.roles[1], secret.secretValue)).toBe(true);
    expect(okJson<{ secretKey: string }[]>(list).map((s) => s.secretKey)).toEqual(['POSTGRES_DB_PASSWORD', 'POSTGRES_DB_USERNAME']);
    // Nothing but the secrets commands prints a secret value.
    expect(rotate.stdout + updateRun.stdout).not.toContain(secret.secretValue);
    activePasswordA = secret.secretValue;
  });

  it('pause and resume change isAutoRotationEnabled and nextRotationAt; update --file - takes a JSON patch', async () => {
    const paused = okJson(await runCli(['rotation', 'pause', rotationA, '--json']));
    expect(paused).toMatchObject({ isAutoRotationEnabled: false, nextRotationAt: null });
    const resumed = okJson(await runCli(['rotation', 'resume', rotationA, '--json']));
    expect(resumed.isAutoRotationEnabled).toBe(true);
    expect(resumed.nextRotationAt).toMatch(/T00:00:00\.000Z$/);

    const patch = { rotationInterval: 7, rotateAtUtc: { hours: 3, minutes: 30 }, description: 'patched from a file' };
    const updated = okJson(await runCli(['rotation', 'update', rotationA, '--file', '-', '--json'], { stdin: JSON.stringify(patch) }));
    expect(updated).toMatchObject({ ...patch, isAutoRotationEnabled: true, activeIndex: 1 });
    const lastRotated = Date.parse(updated.lastRotatedAt as string);
    const next = Date.parse(updated.nextRotationAt as string);
    expect(updated.nextRotationAt).toMatch(/T03:30:00\.000Z$/);
    expect(next).toBeGreaterThanOrEqual(lastRotated + 7 * 86_400_000);
    expect(next).toBeLessThan(lastRotated + 8 * 86_400_000);
  });

  it('connection remove of a connection in use → exit 4, nothing removed', async () => {
    const r = await runCli(['connection', 'remove', a.connection.id]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: connection .* is used by rotation\(s\) cli-rotation/);
    const { rows } = await stack.ctx.db.pool.query('SELECT 1 FROM connections WHERE id = $1', [a.connection.id]);
    expect(rows).toHaveLength(1);
  });

  it('delete --delete-secrets --revoke-generated-credentials: secrets gone, the old password no longer logs in', async () => {
    expect(await canLogin(a.database, a.roles[1], activePasswordA)).toBe(true);
    const del = await runCli(['rotation', 'delete', rotationA, '--delete-secrets', '--revoke-generated-credentials']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toMatch(/^deleted rotation cli-rotation/);
    const [list, get] = await Promise.all([
      runCli(['secrets', 'list', '--project', a.projectId, '--env', 'dev', '--json']),
      runCli(['rotation', 'get', rotationA]),
    ]);
    expect(okJson(list)).toEqual([]);
    expect(get.code).toBe(3);
    expect(await canLogin(a.database, a.roles[1], activePasswordA)).toBe(false);
  });

  it('connection add: a wrong password → exit 2 naming credentials; a refused port → exit 6 naming host:port; the right one (stdin) → added, listed, removed', async () => {
    const role = `cli_conn_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(12).toString('base64url');
    await stack.admin.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(password)}`);
    const url = new URL(stackEnv().DATABASE_URL!);
    const projectId = (await createProject(stack.ctx, { name: `cli-conn-${randomBytes(3).toString('hex')}` }, 'test')).id;
    const args = ['connection', 'add', '--name', 'cli-conn', '--project', projectId, '--host', url.hostname, '--port', url.port, '--database', 'postgres', '--username', role];

    const refusedArgs = args.map((a, i) => (args[i - 1] === '--port' ? '1' : a));
    const [wrong, refused, right] = await Promise.all([
      runCli([...args, '--password-env', 'CLI_TEST_PW', '--json'], { env: { CLI_TEST_PW: 'not-the-password' } }),
      runCli([...refusedArgs, '--password-env', 'CLI_TEST_PW'], { env: { CLI_TEST_PW: password } }),
      runCli([...args, '--password-stdin', '--json'], { stdin: `${password}\n` }),
    ]);
    expect(wrong.code).toBe(2);
    const err = JSON.parse(wrong.stderr);
    expect(err).toMatchObject({ error: 'validation', details: [{ field: 'credentials' }] });
    expect(err.message).toMatch(/^credentials must log in to the database/);
    // Nothing listens on port 1: the server is unavailable (exit 6), not the input invalid; no stack hint (the stack is up).
    expect(refused.code, refused.stderr).toBe(6);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(new RegExp(`^error: credentials must reach the database server: ${url.hostname.replace(/\./g, '\\.')}:1 could not be reached \\(connect ECONNREFUSED`));
    expect(refused.stderr).not.toContain('hint:');
    expect(refused.stderr).not.toContain(password);

    const created = okJson<{ id: string; name: string }>(right);
    expect(created).toMatchObject({ name: 'cli-conn', projectId, username: role, database: 'postgres' });
    expect(right.stdout).not.toContain(password);
    expect(JSON.stringify(created)).not.toMatch(/password/i);

    const list = okJson<{ id: string }[]>(await runCli(['connection', 'list', '--project', projectId, '--json']));
    expect(list.map((c) => c.id)).toEqual([created.id]);
    const removed = await runCli(['connection', 'remove', created.id]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`removed connection ${created.id}\n`);
    const { rows } = await stack.ctx.db.pool.query('SELECT 1 FROM connections WHERE project_id = $1', [projectId]);
    expect(rows).toHaveLength(0);
    await stack.admin.query(`DROP ROLE ${pg.escapeIdentifier(role)}`);
  });

  it('bin/pg-rotator runs from any directory; rotate --no-wait with only the dev env file as configuration; unreachable database → exit 6', async () => {
    // The dev command's env file, in a data dir of its own: the CLI needs no other configuration.
    const devDir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-dev-'));
    await mkdir(path.join(devDir, 'dev'));
    const { TEMPORAL_ADDRESS, DATABASE_URL, ROTATOR_ENCRYPTION_KEY } = stackEnv();
    await writeFile(path.join(devDir, 'dev', 'rotator.env'), `TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS}\nDATABASE_URL=${DATABASE_URL}\nROTATOR_ENCRYPTION_KEY=${ROTATOR_ENCRYPTION_KEY}\n`);
    const bare = { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ROTATOR_DATA_DIR: devDir };
    const [help, down, fromDevEnv] = await Promise.all([
      runCli(['--help'], { command: path.join(projectRoot, 'bin', 'pg-rotator'), cwd: os.tmpdir() }),
      runCli(['rotation', 'list', '--json'], { env: { DATABASE_URL: 'postgres://rotator:not-a-real-password@127.0.0.1:1/rotator' } }),
      runCli(['rotation', 'rotate', rotationB, '--no-wait', '--json'], { bareEnv: bare }),
    ]);
    await rm(devDir, { recursive: true, force: true });
    expect(okJson(fromDevEnv)).toEqual({ requested: true, id: rotationB });
    // --no-wait returned at once; the rotation happens in the background.
    await expect.poll(async () => (await getRotationView(stack.ctx, rotationB)).activeIndex, { timeout: 30_000 }).toBe(1);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pg-rotator/);
    expect(help.stdout).toMatch(/Exit codes:/);
    expect(down.code).toBe(6);
    expect(down.stdout).toBe('');
    const err = JSON.parse(down.stderr);
    expect(err).toMatchObject({ error: 'unavailable', message: expect.stringContaining('ECONNREFUSED') });
    expect(down.stderr).not.toContain('not-a-real-password');
  });
});
