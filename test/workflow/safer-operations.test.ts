// "Safer operations" in the workflow, on Temporal's time-skipping test server with fake activities: the minimum
// overlap (the `rotate` update's validator), and the incident rotation (`rotateBoth`) ordering.
import { ApplicationFailure, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { FailureType, findFailure } from '../../src/domain/failures.js';
import type { RotationView } from '../../src/domain/rotation-view-schemas.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/domain/schedule.js';
import {
  getRotationQuery,
  issuedUpdate,
  rotateBothUpdate,
  rotateNowSignal,
  rotateUpdate,
  updateConfigUpdate,
} from '../../src/workflows/rotation-workflow.js';
import type { FakeTarget, sampleConfig } from '../support/fake-activities.js';
import { useTimeSkippingWorker } from '../support/time-skipping.js';

const suite = useTimeSkippingWorker('ERROR');
let seq = 0;

async function start(overrides: Parameters<typeof sampleConfig>[0] = {}): Promise<{ handle: WorkflowHandle; target: FakeTarget; issued: RotationView }> {
  const { handle, target } = await suite.startRotation(`safer-${++seq}`, overrides);
  const issued = await handle.executeUpdate(issuedUpdate);
  return { handle, target, issued };
}

/** The call log as `name:slot:activate` (activate only for publish). */
const steps = (t: FakeTarget, from = 0) =>
  t.calls.slice(from).filter((c) => c.ref).map((c) => `${c.name}:${c.ref!.slot}${c.activate === undefined ? '' : `:${c.activate}`}`);

/**
 * I1 on the fake: replays the call log, tracking which generation each role's password is (applyPassword) and
 * which (slot, generation) the mapped secrets hold (publish with activate). After the first publish, the mapped
 * pair must always be the password its role has.
 */
function expectMappedPairAlwaysLogsIn(t: FakeTarget): void {
  const applied: (number | null)[] = [null, null];
  let mapped: { slot: 0 | 1; generation: number } | null = null;
  for (const [i, c] of t.calls.entries()) {
    if (c.name === 'applyPassword') applied[c.ref!.slot] = c.ref!.generation;
    if (c.name === 'publish' && c.activate) mapped = { slot: c.ref!.slot, generation: c.ref!.generation };
    if (mapped) expect(applied[mapped.slot], `after call ${i} (${c.name})`).toBe(mapped.generation);
  }
}

function failureOf(err: unknown): ApplicationFailure {
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

/** Update-related history events of the handle's current run. */
async function updateEvents(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes || e.workflowExecutionUpdateAdmittedEventAttributes,
  ).length;
}

describe('minimum overlap (rotate update validator)', () => {
  it('refuses a rotation that would overwrite a pair retired less than minimumOverlapSeconds ago; the refusal leaves no trace', async () => {
    const { handle, target } = await start({ minimumOverlapSeconds: 3600 });
    // Right after issue the inactive slot's password was never published: nobody can hold it, so no wait.
    const first = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    expect(first.activeIndex).toBe(1);
    expect(first.minimumOverlapSeconds).toBe(3600);
    const before = await handle.query(getRotationQuery);
    const calls = target.calls.length;
    const snapshots = target.states.length;
    const events = await updateEvents(handle);

    const err = await handle.executeUpdate(rotateUpdate, { args: [{}] }).catch((e: unknown) => e);
    const failure = failureOf(err);
    expect(failure.type).toBe(FailureType.MinimumOverlap);
    const allowedAt = new Date(Date.parse(first.lastRotatedAt!) + 3600_000).toISOString();
    expect(findFailure(err, FailureType.MinimumOverlap)?.details).toMatchObject({ allowedAt, minimumOverlapSeconds: 3600 });
    expect(failure.message).toContain(`Allowed from ${allowedAt} on`);
    expect(failure.message).toContain('"app_user_1" (slot 0)');
    expect(failure.message).toContain('force');
    // The no-argument form of the update is checked the same way.
    expect(failureOf(await handle.executeUpdate(rotateUpdate, { args: [{}] }).catch((e: unknown) => e)).type).toBe(FailureType.MinimumOverlap);
    // So is the form that does not wait for the rotation (CLI --no-wait).
    expect(failureOf(await handle.executeUpdate(rotateUpdate, { args: [{ wait: false }] }).catch((e: unknown) => e)).type).toBe(FailureType.MinimumOverlap);
    // A raw Temporal client's malformed force (not the boolean true) does not force.
    const malformed = { force: 'yes' } as unknown as { force: boolean };
    expect(failureOf(await handle.executeUpdate(rotateUpdate, { args: [malformed] }).catch((e: unknown) => e)).type).toBe(FailureType.MinimumOverlap);
    // A signal cannot be refused: it is dropped.
    await handle.signal(rotateNowSignal);
    await suite.env.sleep(1_000);

    expect(target.calls.length).toBe(calls);
    expect(target.states.length).toBe(snapshots);
    expect(await handle.query(getRotationQuery)).toEqual(before);
    expect(await updateEvents(handle)).toBe(events);

    // force overrides the overlap.
    const forced = await handle.executeUpdate(rotateUpdate, { args: [{ force: true }] });
    expect(forced.activeIndex).toBe(0);
    expect(steps(target, calls)).toEqual(['stagePassword:0', 'applyPassword:0', 'verifyLogin:0', 'publish:0:true']);
    // wait: false answers before the rotation ran; the rotation follows.
    const requested = await handle.executeUpdate(rotateUpdate, { args: [{ force: true, wait: false }] });
    expect(requested.activeIndex).toBe(0);
    await suite.env.sleep(1_000);
    expect((await handle.query(getRotationQuery)).activeIndex).toBe(1);
  });

  it('allows the rotation once the overlap has passed', async () => {
    const { handle } = await start({ minimumOverlapSeconds: 2 * 3600 });
    const first = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    await suite.env.sleep(HOUR_MS);
    expect(failureOf(await handle.executeUpdate(rotateUpdate, { args: [{}] }).catch((e: unknown) => e)).type).toBe(FailureType.MinimumOverlap);
    await suite.env.sleep(HOUR_MS);
    const second = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    expect(second.activeIndex).toBe(0);
    expect(Date.parse(second.lastRotatedAt!) - Date.parse(first.lastRotatedAt!)).toBeGreaterThanOrEqual(2 * HOUR_MS);
  });

  it('updateConfig refuses an overlap longer than the interval; scheduled rotations (a retry too) are not held back', async () => {
    const { handle, target } = await start({ rotationInterval: 1, minimumOverlapSeconds: 86_400 });
    const err = await handle.executeUpdate(updateConfigUpdate, { args: [{ rotationInterval: 1, minimumOverlapSeconds: 86_401 }] }).catch((e: unknown) => e);
    expect(String((err as Error & { cause?: Error }).cause?.message)).toContain('minimumOverlapSeconds must be at most rotationInterval (1 day = 86400 seconds)');
    const err2 = await handle.executeUpdate(updateConfigUpdate, { args: [{ minimumOverlapSeconds: 90_000 }] }).catch((e: unknown) => e);
    expect(String((err2 as Error & { cause?: Error }).cause?.message)).toContain('minimumOverlapSeconds must be at most rotationInterval');
    expect((await handle.query(getRotationQuery)).minimumOverlapSeconds).toBe(86_400);

    // A forced rotation that fails leaves the retry to the schedule: at the next rotate-at instant, well within
    // the overlap of the last success, and it runs.
    const first = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    target.applyFailure = 'connect ECONNREFUSED';
    expect(failureOf(await handle.executeUpdate(rotateUpdate, { args: [{ force: true }] }).catch((e: unknown) => e)).type).toBe('RotationFailed');
    const failed = await handle.query(getRotationQuery);
    expect(failed.rotationStatus).toBe('failed');
    const retryAt = Date.parse(failed.nextRotationAt!);
    expect(retryAt - Date.parse(first.lastRotatedAt!)).toBeLessThan(DAY_MS);
    target.applyFailure = null;
    const published = target.published().length;
    await suite.env.sleep(retryAt - (await suite.env.currentTimeMs()) + MINUTE_MS);
    const retried = await handle.query(getRotationQuery);
    expect(retried).toMatchObject({ rotationStatus: 'success', activeIndex: 0 });
    expect(target.published()).toHaveLength(published + 1);

    const lowered = await handle.executeUpdate(updateConfigUpdate, { args: [{ minimumOverlapSeconds: 0 }] });
    expect(lowered.minimumOverlapSeconds).toBe(0);
    expect((await handle.executeUpdate(rotateUpdate, { args: [{}] })).rotationStatus).toBe('success');
  });
});

describe('incident rotation (rotateBoth)', () => {
  it('inactive slot first and published, then the active one (stored, not published); activeIndex ends on the first', async () => {
    const { handle, target } = await start();
    const from = target.calls.length;
    const view = await handle.executeUpdate(rotateBothUpdate, { args: [{ actor: 'token:t-1' }] });
    expect(steps(target, from)).toEqual([
      'stagePassword:1', 'applyPassword:1', 'verifyLogin:1', 'publish:1:true',
      'stagePassword:0', 'applyPassword:0', 'verifyLogin:0', 'publish:0:false',
    ]);
    expect(view).toMatchObject({ activeIndex: 1, rotationStatus: 'success', rotationInProgress: false, lastRotationMessage: null });
    expect(target.published()).toHaveLength(2); // issue + once for the incident: the mapped secrets changed once
    const generations = target.calls.slice(from).filter((c) => c.ref).map((c) => c.ref!.generation);
    expect(new Set(generations).size).toBe(2);
    expect(Math.min(...generations)).toBeGreaterThan(2);

    // From slot 1 active: slot 0 first.
    await handle.executeUpdate(rotateUpdate, { args: [{}] }); // → 0
    const from2 = target.calls.length;
    const again = await handle.executeUpdate(rotateBothUpdate, { args: [{}] });
    expect(again.activeIndex).toBe(1);
    expect(steps(target, from2)).toEqual([
      'stagePassword:1', 'applyPassword:1', 'verifyLogin:1', 'publish:1:true',
      'stagePassword:0', 'applyPassword:0', 'verifyLogin:0', 'publish:0:false',
    ]);
    await handle.executeUpdate(rotateUpdate, { args: [{}] }); // → 0
    const from3 = target.calls.length;
    expect((await handle.executeUpdate(rotateBothUpdate, { args: [{}] })).activeIndex).toBe(1);
    expect(steps(target, from3)[0]).toBe('stagePassword:1');
    await handle.executeUpdate(rotateUpdate, { args: [{}] }); // → 0
    await handle.executeUpdate(rotateUpdate, { args: [{}] }); // → 1
    const from4 = target.calls.length;
    expect((await handle.executeUpdate(rotateBothUpdate, { args: [{}] })).activeIndex).toBe(0);
    expect(steps(target, from4)).toEqual([
      'stagePassword:0', 'applyPassword:0', 'verifyLogin:0', 'publish:0:true',
      'stagePassword:1', 'applyPassword:1', 'verifyLogin:1', 'publish:1:false',
    ]);
    expectMappedPairAlwaysLogsIn(target);
  });

  it('is not held back by the overlap, and afterwards a rotation need not wait (the other new password was never published)', async () => {
    const { handle, target } = await start({ minimumOverlapSeconds: 3600 });
    await handle.executeUpdate(rotateUpdate, { args: [{}] }); // slot 1 active; slot 0 retired just now
    expect(failureOf(await handle.executeUpdate(rotateUpdate, { args: [{}] }).catch((e: unknown) => e)).type).toBe(FailureType.MinimumOverlap);
    const incident = await handle.executeUpdate(rotateBothUpdate, { args: [{}] });
    expect(incident.activeIndex).toBe(0);
    const next = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    expect(next.activeIndex).toBe(1);
    // …but the pair published by the incident has just retired: the next one waits again.
    expect(failureOf(await handle.executeUpdate(rotateUpdate, { args: [{}] }).catch((e: unknown) => e)).type).toBe(FailureType.MinimumOverlap);
    expectMappedPairAlwaysLogsIn(target);
  });

  it('a failure after the first slot was published: failed, activeIndex on the published slot, message says what is left', async () => {
    const { handle, target } = await start();
    target.applyFailure = 'permission denied to alter role';
    target.applyFailureSlot = 0;
    const err = await handle.executeUpdate(rotateBothUpdate, { args: [{}] }).catch((e: unknown) => e);
    const failure = failureOf(err);
    expect(failure.message).toContain('incident rotation failed: half done: "app_user_2" has a new password and is published, but "app_user_1" may still have its old one');
    expect(failure.message).toContain('permission denied to alter role');
    const view = await handle.query(getRotationQuery);
    expect(view).toMatchObject({ activeIndex: 1, rotationStatus: 'failed' });
    expect(view.lastRotationMessage).toContain('half done');
    expect(target.published().at(-1)!.slot).toBe(1);
    expect(Date.parse(view.lastRotatedAt!)).toBeGreaterThan(Date.parse(view.createdAt));

    // A rotation then replaces the other role's password (it is the inactive one now).
    target.applyFailure = null;
    const repaired = await handle.executeUpdate(rotateUpdate, { args: [{}] });
    expect(repaired).toMatchObject({ activeIndex: 0, rotationStatus: 'success', lastRotationMessage: null });
    expectMappedPairAlwaysLogsIn(target);
  });

  it('a failure before anything was published changes nothing that is published', async () => {
    const { handle, target } = await start();
    target.applyFailure = 'connect ECONNREFUSED';
    target.applyFailureSlot = 1;
    const failure = failureOf(await handle.executeUpdate(rotateBothUpdate, { args: [{}] }).catch((e: unknown) => e));
    expect(failure.message).not.toContain('half done');
    const view = await handle.query(getRotationQuery);
    expect(view).toMatchObject({ activeIndex: 0, rotationStatus: 'failed' });
    expect(target.published()).toHaveLength(1);
  });

  it('a rotate sent while the incident rotation runs waits for it under the lock: never interleaved', async () => {
    const { handle, target } = await start();
    const from = target.calls.length;
    target.applyDelayMs = 1500;
    const incident = handle.executeUpdate(rotateBothUpdate, { args: [{}] });
    await new Promise((r) => setTimeout(r, 500));
    const [a, b] = await Promise.all([incident, handle.executeUpdate(rotateUpdate, { args: [{}] })]);
    target.applyDelayMs = 0;
    expect(a.activeIndex).toBe(1);
    const incidentSteps = [
      'stagePassword:1', 'applyPassword:1', 'verifyLogin:1', 'publish:1:true',
      'stagePassword:0', 'applyPassword:0', 'verifyLogin:0', 'publish:0:false',
    ];
    // Delivered while the incident ran, the rotate joins it (activeIndex 1); delivered after, it rotates on its own.
    if (b.activeIndex === 1) expect(steps(target, from)).toEqual(incidentSteps);
    else expect(steps(target, from)).toEqual([...incidentSteps, 'stagePassword:0', 'applyPassword:0', 'verifyLogin:0', 'publish:0:true']);
    expectMappedPairAlwaysLogsIn(target);
  });
});
