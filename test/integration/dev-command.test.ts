// The dev command (dev/main.ts) on the test stack (DATABASE_URL and TEMPORAL_ADDRESS set: it starts no servers of
// its own), started twice on one data folder and stopped with SIGINT as Ctrl-C does: the demo rotation is created
// and rotated on the first start only, and the admin token hint names .data/dev/admin.token only when the token
// comes from that file.
import { existsSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { SAMPLE_REQUEST_ROLES } from '../../dev/demo-target.js';
import { projectRoot } from '../../src/data-dir.js';
import { dropRoles, stackEnv } from '../support/stack.js';

const READY = 'Ctrl-C stops the worker';
const dataDir = mkdtempSync(path.join(inject('testDataDir'), 'dev-command-'));
const tokenFile = path.join(dataDir, 'dev', 'admin.token');

/** Runs the dev command until it is ready, then Ctrl-C; its whole output. */
async function devCommand(env: Record<string, string> = {}): Promise<string> {
  const child = execa(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'dev', 'main.ts')], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, ...stackEnv(), ROTATOR_DATA_DIR: dataDir, ROTATOR_API_PORT: '0', ...env },
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    reject: false,
    timeout: 120_000,
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.all.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(READY)) resolve();
    });
    void child.then((r) => reject(new Error(`the dev command ended before it was ready (${r.shortMessage ?? 'exit 0'}):\n${output}`)));
  });
  child.kill('SIGINT');
  const result = await child;
  expect(result.exitCode, output).toBe(0);
  return output;
}

const secretVersion = (output: string) => Number(/secret version (\d+)/.exec(output)?.[1]);

describe('npm run dev', () => {
  let firstVersion = 0;

  // The demo target also gets the roles of the README's sample request (no rotation owns them); they are
  // cluster-wide, and the API test runs that sample request on them in this cluster, so they go again.
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    try {
      await dropRoles(admin, SAMPLE_REQUEST_ROLES);
    } finally {
      await admin.end();
    }
  });

  it('first start: creates the demo rotation and rotates it once; a token from ROTATOR_ADMIN_TOKEN is not said to be in a file', async () => {
    const output = await devCommand({ ROTATOR_ADMIN_TOKEN: 'pgr_admin_dev_command_test_token_0123456789' });
    expect(output).toContain('==> created demo rotation');
    expect(output).toContain('==> rotated once (first start only)');
    firstVersion = secretVersion(output);
    expect(firstVersion).toBe(2); // the create published version 1, the rotation version 2
    expect(output).toContain('(from ROTATOR_ADMIN_TOKEN)');
    expect(output).toContain('Bearer $ROTATOR_ADMIN_TOKEN');
    expect(output).not.toContain('admin.token');
    expect(existsSync(tokenFile)).toBe(false);
  });

  it('second start: leaves the demo rotation as it is, says so and how to rotate it; the token file it creates is named', async () => {
    const output = await devCommand();
    expect(output).not.toContain('created demo rotation');
    expect(output).not.toContain('rotated once');
    const id = /==> demo rotation (\S+) exists \(created on an earlier start\), not rotated now/.exec(output)?.[1];
    expect(id, output).toBeDefined();
    expect(output).toContain(`rotate it with: npm run cli -- rotation rotate ${id}`);
    expect(secretVersion(output)).toBe(firstVersion);
    expect(existsSync(tokenFile)).toBe(true);
    expect(output).toContain(`(also in ${tokenFile})`);
    expect(output).toContain(`Bearer $(cat ${tokenFile})`);
  });
});
