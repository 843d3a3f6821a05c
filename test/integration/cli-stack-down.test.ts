// The real CLI when part of the stack is down or a folder is empty (issue 7, 1.5): commands that need only the
// control database work without Temporal; "unavailable" is exit 6 with a hint at the stack (no password);
// `run` refuses a folder without secrets unless --allow-empty.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationView } from '../../src/domain/rotation-view-schemas.js';
import { createRotation, deleteRotation } from '../../src/service/rotations.js';
import { runCli as runCliIn, type CliOptions, type CliResult } from '../support/cli.js';
import { openTestStack, stackEnv, type TestStack, type TestTarget } from '../support/stack.js';

/** Nothing listens here: connecting is refused at once. */
const CLOSED = '127.0.0.1:1';

let dataDir = '';
const runCli = (args: string[], opts: Omit<CliOptions, 'dataDir'> = {}): Promise<CliResult> => runCliIn(args, { dataDir, ...opts });
const temporalDown = { env: { TEMPORAL_ADDRESS: CLOSED } };

function okJson<T>(r: CliResult): T {
  expect(r.stderr, 'stderr').toBe('');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

describe('CLI with part of the stack down', () => {
  let stack: TestStack;
  let target: TestTarget;
  let rotation: RotationView;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-cli-down-'));
    stack = await openTestStack();
    await stack.startWorker('cli-stack-down');
    target = await stack.newTarget('down');
    rotation = await createRotation(stack.ctx, target.rotationInput(), 'test');
  });

  afterAll(async () => {
    if (rotation) await deleteRotation(stack.ctx, rotation.id, { deleteSecrets: true, revokeGeneratedCredentials: true }, 'test').catch(() => {});
    await stack?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('Temporal down: list, secrets, project, token, audit and connection commands answer from the control database', async () => {
    const p = target.projectId;
    const [list, secrets, secret, project, tokens, audit, connections] = await Promise.all([
      runCli(['rotation', 'list', '--project', p, '--json'], temporalDown),
      runCli(['secrets', 'list', '--project', p, '--env', 'dev', '--json'], temporalDown),
      runCli(['secrets', 'get', 'POSTGRES_DB_USERNAME', '--project', p, '--env', 'dev'], temporalDown),
      runCli(['project', 'get', p, '--json'], temporalDown),
      runCli(['token', 'list', '--project', p, '--json'], temporalDown),
      runCli(['audit', 'list', '--project', p, '--rotation', rotation.id, '--json'], temporalDown),
      runCli(['connection', 'list', '--project', p, '--json'], temporalDown),
    ]);
    expect(okJson<RotationView[]>(list).map((v) => [v.id, v.activeIndex, v.parameters.username1])).toEqual([[rotation.id, 0, target.roles[0]]]);
    expect(okJson<{ secretKey: string }[]>(secrets).map((s) => s.secretKey).sort()).toEqual(['POSTGRES_DB_PASSWORD', 'POSTGRES_DB_USERNAME']);
    expect(secret.stdout).toBe(`${target.roles[0]}\n`);
    expect(okJson<{ id: string }>(project).id).toBe(p);
    expect(okJson<unknown[]>(tokens)).toEqual([]);
    expect(okJson<{ action: string }[]>(audit).map((e) => e.action)).toContain('rotation.created');
    expect(okJson<{ id: string }[]>(connections).map((c) => c.id)).toEqual([target.connection.id]);
  });

  it('Temporal down: a command that needs it → exit 6, hinting at the stack and TEMPORAL_ADDRESS', async () => {
    const r = await runCli(['rotation', 'rotate', rotation.id, '--no-wait'], temporalDown);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: .*ECONNREFUSED/);
    expect(r.stderr).toMatch(new RegExp(`^hint: is the stack running \\(\`npm run dev\`.*TEMPORAL_ADDRESS=${CLOSED}, DATABASE_URL host `, 'm'));
  });

  it('control database refused → exit 6 with the hint; its password is never shown', async () => {
    const password = `not-a-real-password-${randomBytes(4).toString('hex')}`;
    const r = await runCli(['project', 'list', '--json'], { env: { DATABASE_URL: `postgres://rotator:${password}@127.0.0.1:1/rotator` } });
    expect(r.code, r.stderr).toBe(6);
    const err = JSON.parse(r.stderr) as { error: string; message: string; hint: string };
    expect(err.error).toBe('unavailable');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.hint).toBe(`is the stack running (\`npm run dev\`, or your worker's Temporal and control database)? TEMPORAL_ADDRESS=${stackEnv().TEMPORAL_ADDRESS}, DATABASE_URL host 127.0.0.1:1`);
    expect(r.stderr).not.toContain(password);
  });

  it('run: a folder without secrets → exit 3 and nothing runs; with --allow-empty it runs', async () => {
    const marker = path.join(dataDir, `ran-${randomBytes(4).toString('hex')}`);
    const child = ['--', 'node', '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, ''); process.exit(5)`];
    const scope = ['--project', target.projectId, '--env', 'dev', '--path', '/empty'];
    const refused = await runCli(['run', ...scope, ...child]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(
      `error: no secrets in dev:/empty of project ${target.projectId}: node was not run (check --project, --env and --path; --allow-empty runs it without secrets)\n`,
    );
    expect(existsSync(marker)).toBe(false);

    const allowed = await runCli(['run', ...scope, '--allow-empty', ...child]);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(5);
    expect(existsSync(marker)).toBe(true);
  });
});
