import { describe, expect, it } from 'vitest';
import { computeNextRotationAt, DAY_MS, dueTimeOfDayMs, MINUTE_MS, rotationWindowOffsetMs } from '../../src/domain/schedule.js';
import { getRotationQuery, issuedUpdate } from '../../src/workflows/rotation-workflow.js';
import { useTimeSkippingWorker } from '../support/time-skipping.js';

// rotationWindowMinutes in the workflow, on Temporal's time-skipping test server: a scheduled rotation fires at
// the spread instant it shows as nextRotationAt, the interval counts from that instant (no drift), and a failure
// retries at the rotation's own time of day. 23:30 + 60 minutes with an offset past 00:00: the window crosses midnight.
const suite = useTimeSkippingWorker('WARN');
let seq = 0;

const AT = { hours: 23, minutes: 30 };
const WINDOW = 60;

/** A fresh rotation id whose offset puts its own time after midnight (found by search, not hard-coded). */
function idPastMidnight(): string {
  for (;;) {
    const id = `rot-window-${++seq}`;
    if (rotationWindowOffsetMs(id, WINDOW) >= 31 * MINUTE_MS) return id;
  }
}

async function start(rotationId: string) {
  const { handle, target } = await suite.startRotation(rotationId, { rotationInterval: 1, rotateAtUtc: AT, rotationWindowMinutes: WINDOW });
  const issued = await handle.executeUpdate(issuedUpdate);
  return { handle, target, issued };
}

const sleepUntil = async (ms: number) => suite.env.sleep(ms - (await suite.env.currentTimeMs()));

describe('rotation window (workflow)', () => {
  it('fires at the spread instant past midnight, then exactly every interval from when it was due', async () => {
    const rotationId = idPastMidnight();
    const { handle, target, issued } = await start(rotationId);
    const own = dueTimeOfDayMs({ rotationId, rotateAtUtc: AT, rotationWindowMinutes: WINDOW });
    expect(own).toBeGreaterThanOrEqual(MINUTE_MS); // 00:01–00:30 UTC
    expect(own).toBeLessThan(30 * MINUTE_MS);
    const due = computeNextRotationAt({
      rotationId,
      isAutoRotationEnabled: true,
      rotationInterval: 1,
      rotateAtUtc: AT,
      rotationWindowMinutes: WINDOW,
      lastRotatedAt: Date.parse(issued.lastRotatedAt!),
      createdAt: Date.parse(issued.createdAt),
      lastFailedAt: null,
    })!;
    expect(issued.nextRotationAt).toBe(new Date(due).toISOString());
    expect(issued.rotationWindowMinutes).toBe(WINDOW);

    await sleepUntil(due - 30_000);
    expect(target.published()).toHaveLength(1); // not at 23:30, not before its own instant
    await sleepUntil(due + 30_000);
    const first = await handle.query(getRotationQuery);
    expect(target.published()).toHaveLength(2);
    expect(Date.parse(first.lastRotatedAt!) - due).toBeLessThan(30_000);
    expect(first.nextRotationAt).toBe(new Date(due + DAY_MS).toISOString());

    await sleepUntil(due + 3 * DAY_MS + 30_000);
    const later = await handle.query(getRotationQuery);
    expect(target.published()).toHaveLength(5); // one on each day, none skipped or doubled
    expect(later.nextRotationAt).toBe(new Date(due + 4 * DAY_MS).toISOString());
  });

  it('a failure retries at the rotation’s own time the next day; after the retry the interval counts from it', async () => {
    const rotationId = idPastMidnight();
    const { handle, target, issued } = await start(rotationId);
    const due = Date.parse(issued.nextRotationAt!);
    target.applyFailure = 'connect ECONNREFUSED 10.0.0.1:5432';
    await sleepUntil(due + 30_000);
    const failed = await handle.query(getRotationQuery);
    expect(failed.rotationStatus).toBe('failed');
    expect(failed.nextRotationAt).toBe(new Date(due + DAY_MS).toISOString()); // not 23:30, not at once

    target.applyFailure = null;
    await sleepUntil(due + DAY_MS + 30_000);
    const recovered = await handle.query(getRotationQuery);
    expect(recovered.rotationStatus).toBe('success');
    expect(target.published()).toHaveLength(2);
    expect(recovered.nextRotationAt).toBe(new Date(due + 2 * DAY_MS).toISOString());
  });
});
