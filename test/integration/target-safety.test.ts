// Target safety: statement and lock timeouts on every admin connection, so ALTER ROLE can never hang a worker,
// and a role locked by another transaction gives a clear, *retryable* failure that succeeds once the lock is
// gone. The activities are called directly (built with createActivities, as the worker builds them) with
// short limits, against a real target database on the test cluster.
import { ApplicationFailure } from '@temporalio/activity';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import type { CredentialRef, RotationActivities } from '../../src/activities/types.js';
import { createRotation, deleteRotation } from '../../src/service/rotations.js';
import { readConnectionPassword } from '../../src/store/connections.js';
import { readCredential } from '../../src/store/credentials.js';
import { DEFAULT_TARGET_LIMITS, type TargetLimits } from '../../src/target/settings.js';
import { TargetSessions } from '../../src/target/sessions.js';
import { canLogin, openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

const LIMITS: TargetLimits = { ...DEFAULT_TARGET_LIMITS, lockTimeoutMs: 1000, statementTimeoutMs: 2500 };

let stack: TestStack;
let target: TestTarget;
let sessions: TargetSessions;
let activities: RotationActivities;
let rotationId = '';

beforeAll(async () => {
  stack = await openTestStack();
  await stack.startWorker('worker-target-safety');
  target = await stack.newTarget('safety');
  rotationId = (await createRotation(stack.ctx, target.rotationInput({ isAutoRotationEnabled: false }), 'test')).id;
  sessions = new TargetSessions(LIMITS);
  activities = createActivities({ db: stack.ctx.db, sessions, webhooks: false });
});

afterAll(async () => {
  if (rotationId) await deleteRotation(stack.ctx, rotationId, { deleteSecrets: false, revokeGeneratedCredentials: false }, 'test').catch(() => {});
  await stack?.close();
});

/** Another session alters the role and keeps its transaction open: it holds the role's pg_authid row. */
async function holdRole(role: string): Promise<{ release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(`ALTER ROLE ${pg.escapeIdentifier(role)} CONNECTION LIMIT 5`);
  return {
    async release() {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    },
  };
}

/** Runs `fn` and returns what it threw (fails if it did not throw) and how long it took. */
async function failure(fn: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = Date.now();
  try {
    await fn();
  } catch (err) {
    return { err, ms: Date.now() - started };
  }
  throw new Error('expected a failure');
}

describe('target safety', () => {
  it('admin connections run with statement_timeout and lock_timeout; a long statement is cancelled', async () => {
    const password = await readConnectionPassword(stack.ctx.db.pool, stack.ctx.db.box, target.connection.id);
    await sessions.run(target.connection, { user: target.connection.username, password }, async (client) => {
      expect((await client.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('2500ms');
      expect((await client.query('SHOW lock_timeout')).rows[0].lock_timeout).toBe('1s');
      const { err, ms } = await failure(() => client.query('SELECT pg_sleep(30)'));
      expect((err as { code?: string }).code).toBe('57014'); // query_canceled: statement timeout
      expect((err as Error).message).toMatch(/statement timeout/);
      expect(ms).toBeGreaterThanOrEqual(2400);
      expect(ms).toBeLessThan(6000);
      // The connection is still usable afterwards (the rest of the work runs on it).
      expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    });
  });

  it('applyPassword on a role locked by another transaction: a retryable failure within ~lock_timeout, then success once released', async () => {
    // The inactive slot (1): the published credential of slot 0 keeps working throughout.
    const ref: CredentialRef = { rotationId, slot: 1, generation: 1000 };
    await activities.stagePassword(ref);
    const staged = await readCredential(stack.ctx.db.pool, stack.ctx.db.box, ref);

    const holder = await holdRole(target.roles[1]);
    try {

      const { err, ms } = await failure(() => activities.applyPassword(ref));
      expect(err).toBeInstanceOf(ApplicationFailure);
      const f = err as ApplicationFailure;
      expect(f.message).toContain('locked by another transaction');
      expect(f.message).toContain(target.roles[1]);
      expect(f.nonRetryable).toBe(false); // Temporal retries it with backoff
      expect(f.type).not.toBe('ConfigurationError');
      expect(f.message).not.toContain(staged);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(LIMITS.statementTimeoutMs); // the lock timeout cut it, not the statement timeout
      // Nothing was applied: the new password does not log in yet.
      expect(await canLogin(target.database, target.roles[1], staged)).toBe(false);

      // A second attempt while the lock is still held fails the same way (nothing hangs, nothing half-done).
      const again = await failure(() => activities.applyPassword(ref));
      expect((again.err as ApplicationFailure).message).toContain('locked by another transaction');
    } finally {
      await holder.release();
    }

    // The retry after the lock is released succeeds, and the staged password logs in.
    await activities.applyPassword(ref);
    await activities.verifyLogin(ref);
    expect(await canLogin(target.database, target.roles[1], staged)).toBe(true);
  });

  it('statement_timeout caps an ALTER ROLE even when lock_timeout is longer: cancelled, nothing applied, retryable', async () => {
    const limits: TargetLimits = { ...DEFAULT_TARGET_LIMITS, lockTimeoutMs: 30_000, statementTimeoutMs: 1500 };
    const slow = createActivities({ db: stack.ctx.db, sessions: new TargetSessions(limits), webhooks: false });
    const ref: CredentialRef = { rotationId, slot: 1, generation: 1001 };
    await slow.stagePassword(ref);
    const staged = await readCredential(stack.ctx.db.pool, stack.ctx.db.box, ref);
    const holder = await holdRole(target.roles[1]);
    try {
      const { err, ms } = await failure(() => slow.applyPassword(ref));
      expect(err).toBeInstanceOf(ApplicationFailure);
      const f = err as ApplicationFailure;
      expect(f.message).toMatch(/cancelled on the target \(statement_timeout.*statement timeout/);
      expect(f.message).toContain(target.roles[1]);
      expect(f.nonRetryable).toBe(false);
      expect(f.message).not.toContain(staged);
      expect(ms).toBeGreaterThanOrEqual(1400);
      expect(ms).toBeLessThan(limits.statementTimeoutMs + 3000);
      expect(await canLogin(target.database, target.roles[1], staged)).toBe(false);
    } finally {
      await holder.release();
    }
    await slow.applyPassword(ref);
    expect(await canLogin(target.database, target.roles[1], staged)).toBe(true);
  });
});
