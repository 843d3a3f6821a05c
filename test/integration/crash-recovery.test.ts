import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createRotation, getRotationView } from '../../src/service/rotations.js';
import { readCredential } from '../../src/store/credentials.js';
import { readFolderSecrets } from '../../src/service/secrets.js';
import { rotateUpdate, rotationWorkflowId } from '../../src/workflows/rotation-messages.js';
import { rememberPasswords } from '../support/passwords.js';
import { canLogin, logFile, openTestStack, stackEnv, type TestStack, type TestTarget } from '../support/stack.js';
import { type LoggedProcess, startWorkerProcess } from '../support/worker-process.js';

// I5: a worker killed (SIGKILL) after applyPassword and before publish completes resumes without manual action.
let stack: TestStack;
let target: TestTarget;
const children: LoggedProcess[] = [];
let probing = false;

function spawnWorker(name: string): LoggedProcess {
  const child = startWorkerProcess({ env: stackEnv(), inheritEnv: true, logFile: logFile(name) });
  children.push(child);
  return child;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  stack = await openTestStack();
  target = await stack.newTarget('crash');
});

afterAll(async () => {
  probing = false;
  await Promise.all(children.map((c) => c.kill()));
  if (stack) await rememberPasswords(stack.ctx.db);
  await stack?.close();
});

it('SIGKILL of the worker between applyPassword and publish: the rotation completes and the mapped pair logs in throughout', async () => {
  spawnWorker('worker-crash-1');
  const created = await createRotation(stack.ctx, target.rotationInput(), 'test');
  const secretsQuery = { projectId: target.projectId, environment: 'dev', secretPath: '/' };

  // A prober logs in with whatever pair is mapped, all through the crash and the recovery.
  probing = true;
  const probe = { logins: 0, failures: 0 };
  const prober = (async () => {
    // Stops by itself once the test is over, whatever happened.
    for (const until = Date.now() + 110_000; probing && Date.now() < until; ) {
      const s = await readFolderSecrets(stack.ctx, secretsQuery, 'prober');
      const get = (k: string) => s.find((x) => x.secretKey === k)!.secretValue;
      probe.logins += 1;
      if (!(await canLogin(target.database, get('POSTGRES_DB_USERNAME'), get('POSTGRES_DB_PASSWORD')))) probe.failures += 1;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  // Hold the rotation's row lock in the control database: publish (SELECT … FOR UPDATE) blocks on it, after apply
  // and verify are done. NO KEY UPDATE lets the foreign-key checks of stagePassword through.
  const blocker = new pg.Client({ connectionString: inject('databaseUrl') });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM rotations WHERE id = $1 FOR NO KEY UPDATE', [created.id]);

  const handle = stack.ctx.temporal.workflow.getHandle(rotationWorkflowId(created.id));
  const rotation = handle.executeUpdate(rotateUpdate, { args: [{}] });
  const waiting = await waitFor('publish to block on the row lock', async () => {
    const { rows } = await stack.admin.query(
      `SELECT query FROM pg_stat_activity WHERE datname = 'rotator' AND wait_event_type = 'Lock'`,
    );
    return rows.some((r) => String(r.query).includes('FOR UPDATE')) ? true : undefined;
  });
  expect(waiting).toBe(true);
  // Where we are: the inactive role already has the staged password (apply and verify done), publish has not run.
  const { rows: staged } = await stack.ctx.db.pool.query(
    `SELECT slot, generation FROM credentials WHERE rotation_id = $1 AND status = 'staged' ORDER BY generation DESC LIMIT 1`,
    [created.id],
  );
  expect(staged).toHaveLength(1);
  const stagedPassword = await readCredential(stack.ctx.db.pool, stack.ctx.db.box, { rotationId: created.id, slot: 1, generation: staged[0].generation });
  expect(await canLogin(target.database, target.roles[1], stagedPassword)).toBe(true);
  expect((await readFolderSecrets(stack.ctx, secretsQuery, 'test')).find((x) => x.secretKey === 'POSTGRES_DB_PASSWORD')!.version).toBe(1);

  await children[0]!.kill();
  await blocker.query('ROLLBACK');
  await blocker.end();

  // The mapped (old) pair still logs in while no worker runs.
  spawnWorker('worker-crash-2');
  const result = await rotation; // the new worker takes over once the workflow task of the dead one times out
  expect(result.activeIndex).toBe(1);
  expect(result.rotationStatus).toBe('success');

  probing = false;
  await prober;
  expect(probe.logins).toBeGreaterThan(20);
  expect(probe.failures).toBe(0);

  const s = await readFolderSecrets(stack.ctx, secretsQuery, 'test');
  const username = s.find((x) => x.secretKey === 'POSTGRES_DB_USERNAME')!;
  const password = s.find((x) => x.secretKey === 'POSTGRES_DB_PASSWORD')!;
  expect(username.secretValue).toBe(target.roles[1]);
  expect(password.version).toBe(2); // published exactly once despite the retry
  expect(await canLogin(target.database, username.secretValue, password.secretValue)).toBe(true);
  expect((await getRotationView(stack.ctx, created.id)).activeIndex).toBe(1);
}, 120_000);
