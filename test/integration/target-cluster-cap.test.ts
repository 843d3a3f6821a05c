// Defect: login checks opened connections outside the admin pool, and the admin pool was per connection record,
// so a burst could open far more than ROTATOR_TARGET_POOL_MAX connections to one server. Here a burst of
// password changes and login checks through two connection records to one cluster (two databases) runs with a
// cap of 3, while pg_stat_activity is sampled every ~20 ms: pg-rotator never has more than 3 sessions open there,
// and waiting for a slot fails nothing.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import type { CredentialRef } from '../../src/activities/types.js';
import { createRotation, deleteRotation } from '../../src/service/rotations.js';
import { readConnectionPassword } from '../../src/store/connections.js';
import { readCredential, readCurrentCredentials } from '../../src/store/credentials.js';
import { clusterKeyOf, TargetSessions } from '../../src/target/sessions.js';
import { APPLICATION_NAME, DEFAULT_TARGET_LIMITS, type TargetLimits } from '../../src/target/settings.js';
import { rememberPasswords } from '../support/passwords.js';
import { canLogin, openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

const CAP = 3;
const LIMITS: TargetLimits = { ...DEFAULT_TARGET_LIMITS, poolMax: CAP };
const PER_TARGET = 4; // rotations per target database
const CHECKS = 3; // login checks per rotation: 8 password changes + 24 login checks → 32 operations in the burst

let stack: TestStack;
const targets: TestTarget[] = [];
const rotations: { target: TestTarget; rotationId: string; roles: string[] }[] = [];

beforeAll(async () => {
  stack = await openTestStack();
  await stack.startWorker('worker-cluster-cap');
  const q = pg.escapeIdentifier;
  for (const label of ['capa', 'capb']) {
    const target = await stack.newTarget(label);
    targets.push(target);
    // Each rotation its own roles: PostgreSQL refuses two concurrent ALTER ROLEs of one role ("tuple concurrently updated").
    for (let i = 0; i < PER_TARGET; i++) {
      const roles = [1, 2].map((n) => `${target.roles[0]}_r${i}_${n}`);
      for (const role of roles) {
        await stack.admin.query(`CREATE ROLE ${q(role)} LOGIN`);
        await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(target.database)} TO ${q(role)}`);
      }
      const body = target.rotationInput({ name: `cap-${i}`, secretPath: `/cap-${i}`, isAutoRotationEnabled: false, parameters: { username1: roles[0], username2: roles[1] } });
      rotations.push({ target, rotationId: (await createRotation(stack.ctx, body, 'test')).id, roles });
    }
  }
});

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db).catch(() => {});
  for (const r of rotations) await deleteRotation(stack.ctx, r.rotationId, { deleteSecrets: true, revokeGeneratedCredentials: false }, 'test').catch(() => {});
  await stack?.close();
});

/** Samples how many sessions pg-rotator has open in the given databases, every ~20 ms until stopped. */
async function sampleSessions(databases: string[]): Promise<{ stop(): Promise<number[]> }> {
  const client = new pg.Client({ connectionString: inject('adminDatabaseUrl'), application_name: 'cap-sampler' });
  await client.connect();
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = ANY($2)',
        [APPLICATION_NAME, databases],
      );
      samples.push(rows[0]!.n);
      await sleep(20);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      return samples;
    },
  };
}

describe('per-cluster cap on target connections', () => {
  it(`a burst through two connection records to one cluster never has more than ${CAP} sessions open there`, async () => {
    const [a, b] = targets;
    // Two records, one server: they share the cap.
    expect(clusterKeyOf(a!.connection)).toBe(clusterKeyOf(b!.connection));
    expect(a!.connection.id).not.toBe(b!.connection.id);

    const sessions = new TargetSessions(LIMITS);
    const activities = createActivities({ db: stack.ctx.db, sessions, webhooks: false });
    const work: (() => Promise<void>)[] = [];
    const staged: CredentialRef[] = [];
    for (const { rotationId } of rotations) {
      const current = await readCurrentCredentials(stack.ctx.db.pool, stack.ctx.db.box, rotationId);
      const published: CredentialRef = { rotationId, slot: 0, generation: current.find((c) => c.slot === 0)!.generation };
      const next: CredentialRef = { rotationId, slot: 1, generation: 800 };
      await activities.stagePassword(next);
      staged.push(next);
      work.push(() => activities.applyPassword(next)); // the inactive role's password, as the admin
      for (let i = 0; i < CHECKS; i++) work.push(() => activities.verifyLogin(published)); // as the published role
    }

    const sampler = await sampleSessions(targets.map((t) => t.database));
    const results = await Promise.allSettled(work.map((w) => w()));
    const samples = await sampler.stop();

    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
    expect(failures).toEqual([]); // waiting for a slot is not a failure
    expect(samples.length).toBeGreaterThan(3);
    expect(Math.max(...samples)).toBeLessThanOrEqual(CAP);
    // The burst reached the cap: steps had to wait for a slot (a 20 ms sampler may miss sessions this short).
    expect(sessions.waitTotals.waits).toBeGreaterThan(0);
    // The work was done: each inactive role now logs in with its staged password.
    for (const [i, ref] of staged.entries()) {
      const { target, roles } = rotations[i]!;
      expect(await canLogin(target.database, roles[1]!, await readCredential(stack.ctx.db.pool, stack.ctx.db.box, ref))).toBe(true);
    }
  });

  it("a wait for a slot ends with the caller's signal (an activity's timeout), and gives no slot away", async () => {
    const sessions = new TargetSessions({ ...LIMITS, poolMax: 1 });
    const t = targets[0]!;
    const login = { user: t.connection.username, password: await readConnectionPassword(stack.ctx.db.pool, stack.ctx.db.box, t.connection.id) };
    const holder = sessions.run(t.connection, login, (c) => c.query('SELECT pg_sleep(0.5)'));
    const timeout = new AbortController();
    const waiting = sessions.run(t.connection, login, (c) => c.query('SELECT 1'), timeout.signal);
    const queued = sessions.run(t.connection, login, async (c) => (await c.query<{ n: number }>('SELECT 2 AS n')).rows[0]!.n);
    setTimeout(() => timeout.abort(new Error('activity timed out')), 100);
    await expect(waiting).rejects.toThrow('activity timed out');
    await holder;
    expect(await queued).toBe(2); // the abandoned place in the queue did not block the next waiter
    expect(await sessions.run(t.connection, login, async (c) => (await c.query<{ n: number }>('SELECT 3 AS n')).rows[0]!.n)).toBe(3);
  });
});
