// Waiting for a connection slot of a target cluster is not a failure, but it is visible: every wait is reported
// (cluster key, milliseconds, got the slot or gave up; never a password) and added to the process's totals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConnectionPassword } from '../../src/store/connections.js';
import { clusterKeyOf, type SlotWait, TargetSessions } from '../../src/target/sessions.js';
import { DEFAULT_TARGET_LIMITS } from '../../src/target/settings.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

let stack: TestStack;
let target: TestTarget;

beforeAll(async () => {
  stack = await openTestStack();
  target = await stack.newTarget('waits');
});

afterAll(async () => {
  await stack?.close();
});

describe('waits for a target connection slot', () => {
  it('are reported with the cluster and the time waited, and totalled; a caller that got a free slot is not', async () => {
    const waits: SlotWait[] = [];
    const sessions = new TargetSessions({ ...DEFAULT_TARGET_LIMITS, poolMax: 1 }, (w) => waits.push(w));
    const password = await readConnectionPassword(stack.ctx.db.pool, stack.ctx.db.box, target.connection.id);
    const login = { user: target.connection.username, password };

    await sessions.run(target.connection, login, (c) => c.query('SELECT 1'));
    expect(waits).toEqual([]);
    expect(sessions.waitTotals).toEqual({ waits: 0, waitedMs: 0 });

    const holder = sessions.run(target.connection, login, (c) => c.query('SELECT pg_sleep(0.4)'));
    await new Promise((r) => setTimeout(r, 50)); // the holder has the one slot
    const gaveUp = await sessions.run(target.connection, login, (c) => c.query('SELECT 1'), AbortSignal.timeout(100)).catch((e: unknown) => e);
    expect(gaveUp).toBeInstanceOf(Error);
    const waiter = sessions.run(target.connection, login, (c) => c.query('SELECT 1'));
    await Promise.all([holder, waiter]);

    const cluster = clusterKeyOf(target.connection);
    expect(waits).toEqual([
      { cluster, waitedMs: expect.any(Number), acquired: false },
      { cluster, waitedMs: expect.any(Number), acquired: true },
    ]);
    expect(waits[0]!.waitedMs).toBeGreaterThanOrEqual(90);
    expect(waits[1]!.waitedMs).toBeGreaterThanOrEqual(150); // what the holder still had to do
    expect(sessions.waitTotals).toEqual({ waits: 2, waitedMs: waits[0]!.waitedMs + waits[1]!.waitedMs });
    expect(JSON.stringify(waits)).not.toContain(password);
  });
});
