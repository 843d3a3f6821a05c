import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { FailureType, findFailure } from '../../src/domain/failures.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/domain/schedule.js';
import {
  deleteUpdate,
  getRotationQuery,
  issuedUpdate,
  MAX_RUN_EVENTS,
  postgresCredentialsRotation,
  rotateNowSignal,
  rotateUpdate,
  TASK_QUEUE,
  updateConfigUpdate,
} from '../../src/workflows/rotation-workflow.js';
import type { FakeTarget, sampleConfig } from '../support/fake-activities.js';
import { useTimeSkippingWorker } from '../support/time-skipping.js';

// Workflow logic on Temporal's time-skipping test server: day-long sleeps take milliseconds.
const suite = useTimeSkippingWorker('WARN');
let target: FakeTarget;
let seq = 0;

/** Starts a rotation at the test server's current time (its fake becomes `target`). */
async function start(overrides: Parameters<typeof sampleConfig>[0] = {}) {
  const started = await suite.startRotation(`rot-${++seq}`, overrides);
  target = started.target;
  return started.handle;
}

async function currentTime(): Promise<number> {
  return suite.env.currentTimeMs();
}

/** The first instant ≥ from at the given UTC time of day. */
function nextAt(from: number, hours: number, minutes: number): number {
  const day = Math.floor(from / DAY_MS) * DAY_MS + hours * HOUR_MS + minutes * MINUTE_MS;
  return day >= from ? day : day + DAY_MS;
}

describe('issue on create', () => {
  it('gives both roles a password (stage → apply → verify each) and publishes slot 0 only', async () => {
    const handle = await start();
    const view = await handle.executeUpdate(issuedUpdate);
    expect(view.activeIndex).toBe(0);
    expect(view.rotationStatus).toBe('success');
    expect(target.calls.map((c) => `${c.name}${c.ref ? `:${c.ref.slot}` : ''}${c.activate === undefined ? '' : `:${c.activate}`}`)).toEqual([
      'preflight',
      'stagePassword:1', 'applyPassword:1', 'verifyLogin:1', 'publish:1:false',
      'stagePassword:0', 'applyPassword:0', 'verifyLogin:0', 'publish:0:true',
    ]);
    const generations = target.calls.filter((c) => c.ref).map((c) => c.ref!.generation);
    expect(new Set(generations)).toEqual(new Set([1, 2]));
    const lastRotatedAt = Date.parse(view.lastRotatedAt!);
    expect(view.nextRotationAt).toBe(new Date(nextAt(lastRotatedAt + 30 * DAY_MS, 0, 0)).toISOString());
  });

  it('refuses the create when preflight finds a configuration error: removes the rotation and ends without failing', async () => {
    target = await suite.newTarget('rot-fail');
    target.preflightFailure = 'role "app_user_2" does not exist. To fix: CREATE ROLE "app_user_2" LOGIN;';
    // As the service does: the update comes with the start, so the first workflow task already has it.
    const startWorkflowOperation = new WithStartWorkflowOperation(postgresCredentialsRotation, {
      workflowId: `wf-fail-${Date.now()}`,
      taskQueue: TASK_QUEUE,
      args: [{ rotationId: 'rot-fail', config: target.config }],
      workflowIdConflictPolicy: 'FAIL',
    });
    const err = await suite.env.client.workflow.executeUpdateWithStart(issuedUpdate, { startWorkflowOperation }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(findFailure(err, FailureType.IssueFailed)?.failure.message).toContain('CREATE ROLE "app_user_2" LOGIN');
    // A refused create is not a broken workflow: it completes (no FAILED entry in the Temporal UI), saying why.
    const handle = await startWorkflowOperation.workflowHandle();
    expect(await handle.result()).toEqual({ ended: 'issue-failed', message: expect.stringContaining('issuing credentials failed: preflight:') });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(target.calls.map((c) => c.name)).toEqual(['preflight']);
    expect(target.removed).toEqual([{ deleteSecrets: true, reason: 'issue failed' }]);
  });
});

describe('schedule', () => {
  it('fires a 30-day interval at the first rotate-at instant ≥ last rotation + 30 days, and not before', async () => {
    const handle = await start({ rotateAtUtc: { hours: 3, minutes: 30 } });
    const issued = await handle.executeUpdate(issuedUpdate);
    const due = nextAt(Date.parse(issued.lastRotatedAt!) + 30 * DAY_MS, 3, 30);
    expect(issued.nextRotationAt).toBe(new Date(due).toISOString());

    await suite.env.sleep(due - (await currentTime()) - MINUTE_MS);
    expect(target.published()).toHaveLength(1);
    expect((await handle.query(getRotationQuery)).activeIndex).toBe(0);

    await suite.env.sleep(2 * MINUTE_MS);
    const after = await handle.query(getRotationQuery);
    expect(target.published()).toHaveLength(2);
    expect(target.published()[1]!.slot).toBe(1);
    expect(after.activeIndex).toBe(1);
    expect(Math.abs(Date.parse(after.lastRotatedAt!) - due)).toBeLessThan(MINUTE_MS);
    expect(after.nextRotationAt).toBe(new Date(due + 30 * DAY_MS).toISOString()); // counted from when it was due
  });

  it('a 1-day interval rotates every day: the interval counts from when a scheduled rotation was due', async () => {
    const handle = await start({ rotationInterval: 1 });
    const issued = await handle.executeUpdate(issuedUpdate);
    const firstDue = nextAt(Date.parse(issued.lastRotatedAt!) + DAY_MS, 0, 0);
    await suite.env.sleep(firstDue + 3 * DAY_MS + HOUR_MS - (await currentTime()));
    const view = await handle.query(getRotationQuery);
    expect(target.published()).toHaveLength(1 + 4); // the issue, then one rotation on each of 4 days
    expect(Math.abs(Date.parse(view.lastRotatedAt!) - (firstDue + 3 * DAY_MS))).toBeLessThan(MINUTE_MS);
    expect(view.nextRotationAt).toBe(new Date(firstDue + 4 * DAY_MS).toISOString());
    // A manual rotation counts from when it happened: the next one is a full interval later.
    const manual = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    expect(manual.nextRotationAt).toBe(new Date(nextAt(Date.parse(manual.lastRotatedAt!) + DAY_MS, 0, 0)).toISOString());
  });

  it('a scheduled rotation costs one workflow task and ten history events, in the same run', async () => {
    const handle = await start({ rotationInterval: 1 });
    const issued = await handle.executeUpdate(issuedUpdate);
    const { runId } = await handle.describe();
    const before = (await handle.fetchHistory()).events!;
    const firstDue = nextAt(Date.parse(issued.lastRotatedAt!) + DAY_MS, 0, 0);
    await suite.env.sleep(firstDue + 2 * DAY_MS + HOUR_MS - (await currentTime()));
    expect(target.published()).toHaveLength(1 + 3);
    const after = (await handle.fetchHistory()).events!;
    expect((await handle.describe()).runId).toBe(runId);
    const tasks = (events: typeof after) => events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    // Timer fired, one workflow task (3 events), four step markers, the next timer (and, where the namespace has
    // them, the next-rotation search attribute).
    expect((after.length - before.length) / 3).toBeLessThanOrEqual(10);
    expect((tasks(after) - tasks(before)) / 3).toBe(1);
  });

  it('pause stops it; resume recomputes nextRotationAt from the last rotation', async () => {
    const handle = await start({ rotationInterval: 2 });
    const issued = await handle.executeUpdate(issuedUpdate);
    const paused = await handle.executeUpdate(updateConfigUpdate, { args: [{ isAutoRotationEnabled: false }] });
    expect(paused.isAutoRotationEnabled).toBe(false);
    expect(paused.nextRotationAt).toBeNull();

    await suite.env.sleep(10 * DAY_MS);
    expect(target.published()).toHaveLength(1);

    const resumed = await handle.executeUpdate(updateConfigUpdate, { args: [{ isAutoRotationEnabled: true, rotationInterval: 30 }] });
    const expected = nextAt(Date.parse(issued.lastRotatedAt!) + 30 * DAY_MS, 0, 0);
    expect(resumed.nextRotationAt).toBe(new Date(expected).toISOString());
    await suite.env.sleep(expected - (await currentTime()) + MINUTE_MS);
    expect(target.published()).toHaveLength(2);
  });

  it('a failing target gives `failed` with the reason, keeps the active slot, and retries at the next rotate-at', async () => {
    const handle = await start({ rotationInterval: 1, rotateAtUtc: { hours: 12, minutes: 0 } });
    const issued = await handle.executeUpdate(issuedUpdate);
    target.applyFailure = 'connect ECONNREFUSED 10.0.0.1:5432';
    const due = Date.parse(issued.nextRotationAt!);
    await suite.env.sleep(due - (await currentTime()) + MINUTE_MS);

    const failed = await handle.query(getRotationQuery);
    expect(failed.rotationStatus).toBe('failed');
    expect(failed.lastRotationMessage).toContain('applyPassword');
    expect(failed.lastRotationMessage).toContain('ECONNREFUSED');
    expect(failed.activeIndex).toBe(0);
    expect(target.published()).toHaveLength(1);
    const retryAt = Date.parse(failed.nextRotationAt!);
    expect(retryAt).toBe(nextAt(Date.parse(failed.lastRotationAttemptedAt!) + 1, 12, 0));
    expect(retryAt - Date.parse(failed.lastRotationAttemptedAt!)).toBeLessThanOrEqual(DAY_MS);

    target.applyFailure = null;
    await suite.env.sleep(retryAt - (await currentTime()) + MINUTE_MS);
    const recovered = await handle.query(getRotationQuery);
    expect(recovered.rotationStatus).toBe('success');
    expect(recovered.lastRotationMessage).toBeNull();
    expect(recovered.activeIndex).toBe(1);
  });
});

describe('manual rotation and messages', () => {
  it('rotate update returns after the rotation; a second one sent while it runs waits for it, never overlapping', async () => {
    const handle = await start();
    await handle.executeUpdate(issuedUpdate);
    target.applyDelayMs = 1500; // the second update surely arrives while the first rotation runs
    const first = handle.executeUpdate(rotateUpdate, { args: [{}] });
    await new Promise((r) => setTimeout(r, 500));
    const [a, b] = await Promise.all([first, handle.executeUpdate(rotateUpdate, { args: [{}] })]);
    target.applyDelayMs = 0;
    // The steps run as local activities inside one workflow task, so the second request is delivered once
    // the first rotation has finished, and then gets a rotation of its own (DESIGN: "joins or waits").
    expect([a.activeIndex, b.activeIndex]).toEqual([1, 0]);
    const steps = target.calls.filter((c) => c.ref).map((c) => `${c.name}:${c.ref!.slot}:${c.ref!.generation}`);
    expect(steps.slice(8)).toEqual([
      'stagePassword:1:3', 'applyPassword:1:3', 'verifyLogin:1:3', 'publish:1:3',
      'stagePassword:0:4', 'applyPassword:0:4', 'verifyLogin:0:4', 'publish:0:4',
    ]);
    const third = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    expect(third.activeIndex).toBe(1);
    expect(target.published()).toHaveLength(4);
  });

  it('rotateNow signal rotates; the run continues as new with its state only once its history is long', async () => {
    const handle = await start();
    const issued = await handle.executeUpdate(issuedUpdate);
    const firstRun = (await handle.describe()).runId;
    await handle.signal(rotateNowSignal);
    await suite.env.sleep(10_000); // longer than the quiet moment before a new run
    expect((await handle.query(getRotationQuery)).activeIndex).toBe(1);
    expect((await handle.describe()).runId).toBe(firstRun); // one rotation does not start a new run

    let rotations = 1;
    while ((await handle.describe()).historyLength < MAX_RUN_EVENTS) {
      await handle.executeUpdate(rotateUpdate, { args: [{}] });
      rotations += 1;
    }
    // The workflow sees its history's length when it next wakes up: here, for one more rotation.
    await handle.executeUpdate(rotateUpdate, { args: [{}] });
    rotations += 1;
    expect((await handle.describe()).runId).toBe(firstRun);
    await suite.env.sleep(10_000);
    const view = await handle.query(getRotationQuery);
    expect((await handle.describe()).runId).not.toBe(firstRun);
    expect(view.activeIndex).toBe(rotations % 2);
    expect(view.createdAt).toBe(issued.createdAt);
    expect(target.published()).toHaveLength(1 + rotations);
    // The state carried over: the next rotation uses the next generation.
    const next = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    expect(next.activeIndex).toBe((rotations + 1) % 2);
    expect(target.published().at(-1)!.generation).toBe(2 + rotations + 1);
  });

  it('the listing copy of the state is written by the publish that ends a rotation, and by recordState after a failure', async () => {
    const handle = await start();
    const issued = await handle.executeUpdate(issuedUpdate);
    expect(target.states).toHaveLength(1);
    expect(target.states[0]).toMatchObject({ activeIndex: 0, rotationStatus: 'success', rotationInProgress: false, nextRotationAt: issued.nextRotationAt });
    expect(target.calls.map((c) => c.name)).not.toContain('recordState');

    const rotated = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    expect(target.states).toHaveLength(2);
    expect(target.states[1]).toMatchObject({ activeIndex: 1, generation: 3, lastRotatedAt: rotated.lastRotatedAt, nextRotationAt: rotated.nextRotationAt });

    target.applyFailure = 'permission denied to alter role';
    await handle.executeUpdate(rotateUpdate, { args: [{}] }).catch(() => {});
    expect(target.states).toHaveLength(3);
    expect(target.states[2]).toMatchObject({ activeIndex: 1, rotationStatus: 'failed', rotationInProgress: false });
    expect(target.states[2]!.lastRotationMessage).toContain('permission denied to alter role');
  });

  it('a failed manual rotation is reported to the caller, and the mapped slot stays', async () => {
    const handle = await start();
    await handle.executeUpdate(issuedUpdate);
    target.applyFailure = 'permission denied to alter role';
    const err = await handle.executeUpdate(rotateUpdate, { args: [{}] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((err as Error & { cause?: Error }).cause?.message)).toContain('permission denied to alter role');
    expect((await handle.query(getRotationQuery)).activeIndex).toBe(0);
  });

  it('updateConfig rejects an invalid patch naming the field, and changes nothing', async () => {
    const handle = await start();
    await handle.executeUpdate(issuedUpdate);
    const err = await handle.executeUpdate(updateConfigUpdate, { args: [{ rotationInterval: 0 }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((err as Error & { cause?: Error }).cause?.message)).toMatch(/rotationInterval/);
    expect((await handle.query(getRotationQuery)).rotationInterval).toBe(30);
  });

  it('delete revokes when asked, removes the rotation and ends the workflow', async () => {
    const handle = await start();
    await handle.executeUpdate(issuedUpdate);
    await handle.executeUpdate(deleteUpdate, { args: [{ deleteSecrets: true, revokeGeneratedCredentials: true }] });
    await handle.result();
    expect(target.revoked).toBe(1);
    expect(target.removed).toEqual([{ deleteSecrets: true, reason: 'deleted' }]);
  });
});
