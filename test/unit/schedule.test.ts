import { describe, expect, it } from 'vitest';
import {
  computeNextRotationAt,
  DAY_MS,
  dueTimeOfDayMs,
  hash32,
  MINUTE_MS,
  nextOccurrence,
  rotateAtMs,
  rotationWindowOffsetMs,
  type ScheduleInput,
} from '../../src/domain/schedule.js';

const t = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test date ${iso}`);
  return ms;
};
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

describe('nextOccurrence', () => {
  it.each([
    // [from, hours, minutes, inclusive, expected]
    ['2024-03-10T05:00:00.000Z', 7, 30, true, '2024-03-10T07:30:00.000Z'], // rotate-at later today
    ['2024-03-10T09:00:00.000Z', 7, 30, true, '2024-03-11T07:30:00.000Z'], // rotate-at already passed today
    ['2024-03-10T07:30:00.000Z', 7, 30, true, '2024-03-10T07:30:00.000Z'], // exactly equal, inclusive
    ['2024-03-10T07:30:00.000Z', 7, 30, false, '2024-03-11T07:30:00.000Z'], // exactly equal, exclusive
    ['2024-03-10T07:30:00.001Z', 7, 30, true, '2024-03-11T07:30:00.000Z'], // one ms late
    ['2024-03-10T07:29:59.999Z', 7, 30, false, '2024-03-10T07:30:00.000Z'], // one ms early
    ['2024-03-10T00:00:00.000Z', 0, 0, true, '2024-03-10T00:00:00.000Z'], // midnight inclusive
    ['2024-03-10T00:00:00.000Z', 0, 0, false, '2024-03-11T00:00:00.000Z'], // midnight exclusive
    ['2024-03-10T23:59:59.999Z', 23, 59, true, '2024-03-11T23:59:00.000Z'], // last minute of the day, passed
    ['2024-12-31T23:00:00.000Z', 0, 0, true, '2025-01-01T00:00:00.000Z'], // year boundary
    ['2028-02-28T12:00:00.000Z', 6, 0, true, '2028-02-29T06:00:00.000Z'], // leap day
    ['2027-02-28T12:00:00.000Z', 6, 0, true, '2027-03-01T06:00:00.000Z'], // no leap day
    ['1969-12-31T12:00:00.000Z', 3, 0, true, '1970-01-01T03:00:00.000Z'], // negative epoch
    ['2024-03-31T00:30:00.000Z', 2, 30, true, '2024-03-31T02:30:00.000Z'], // European DST night: UTC ignores it
  ] as const)('from %s at %i:%i inclusive=%s → %s', (from, hours, minutes, inclusive, expected) => {
    expect(iso(nextOccurrence(t(from), rotateAtMs({ hours, minutes }), inclusive))).toBe(expected);
  });

  it('takes a time of day to the millisecond (a spread rotate-at)', () => {
    expect(iso(nextOccurrence(t('2024-03-10T05:00:00.000Z'), 7 * 3_600_000 + 12_345, true))).toBe('2024-03-10T07:00:12.345Z');
  });

  it.each([-1, DAY_MS, 1.5, Number.NaN])('rejects time of day %d', (ms) => {
    expect(() => nextOccurrence(0, ms, true)).toThrow(RangeError);
  });

  it.each([
    [{ hours: 24, minutes: 0 }],
    [{ hours: 0, minutes: 60 }],
    [{ hours: -1, minutes: 0 }],
    [{ hours: 1.5, minutes: 0 }],
  ])('rejects an invalid rotate-at %j', (at) => {
    expect(() => rotateAtMs(at)).toThrow(RangeError);
  });
});

describe('computeNextRotationAt', () => {
  const base = {
    rotationId: '0f8fad5b-d9cb-469f-a165-70867728950e',
    rotationWindowMinutes: 0,
    isAutoRotationEnabled: true,
    rotationInterval: 30,
    rotateAtUtc: { hours: 0, minutes: 0 },
    lastRotatedAt: null as number | null,
    createdAt: t('2024-01-01T10:00:00.000Z'),
    lastFailedAt: null as number | null,
  };

  it.each([
    {
      name: 'first rotation counts from createdAt; rotate-at already passed that day → next day',
      s: { createdAt: t('2024-01-01T10:00:00.000Z') },
      expected: '2024-02-01T00:00:00.000Z',
    },
    {
      name: 'rotate-at later on the due day → same day',
      s: { createdAt: t('2024-01-01T10:00:00.000Z'), rotateAtUtc: { hours: 22, minutes: 15 } },
      expected: '2024-01-31T22:15:00.000Z',
    },
    {
      name: 'due instant exactly at rotate-at → that instant (inclusive)',
      s: { lastRotatedAt: t('2024-05-01T03:00:00.000Z'), rotateAtUtc: { hours: 3, minutes: 0 }, rotationInterval: 7 },
      expected: '2024-05-08T03:00:00.000Z',
    },
    {
      name: 'Jan 31 + 30 days → Mar 2 in a non-leap year (2027)',
      s: { lastRotatedAt: t('2027-01-31T00:00:00.000Z'), rotationInterval: 30 },
      expected: '2027-03-02T00:00:00.000Z',
    },
    {
      name: 'Jan 31 + 30 days → Mar 1 in a leap year (2028, counts Feb 29)',
      s: { lastRotatedAt: t('2028-01-31T00:00:00.000Z'), rotationInterval: 30 },
      expected: '2028-03-01T00:00:00.000Z',
    },
    {
      name: 'lands exactly on Feb 29 2028',
      s: { lastRotatedAt: t('2028-02-28T12:00:00.000Z'), rotationInterval: 1, rotateAtUtc: { hours: 12, minutes: 0 } },
      expected: '2028-02-29T12:00:00.000Z',
    },
    {
      name: 'Feb 29 2028 + 365 days → Feb 28 2029',
      s: { lastRotatedAt: t('2028-02-29T08:00:00.000Z'), rotationInterval: 365, rotateAtUtc: { hours: 8, minutes: 0 } },
      expected: '2029-02-28T08:00:00.000Z',
    },
    {
      name: 'Dec 31 → next year',
      s: { lastRotatedAt: t('2024-12-31T23:30:00.000Z'), rotationInterval: 1, rotateAtUtc: { hours: 23, minutes: 45 } },
      expected: '2025-01-01T23:45:00.000Z',
    },
    {
      name: 'Dec 31 + 1 day with rotate-at passed → Jan 2',
      s: { lastRotatedAt: t('2024-12-31T23:30:00.000Z'), rotationInterval: 1, rotateAtUtc: { hours: 0, minutes: 0 } },
      expected: '2025-01-02T00:00:00.000Z',
    },
    {
      name: 'manual rotation resets the base: lastRotatedAt wins over createdAt',
      s: { createdAt: t('2024-01-01T00:00:00.000Z'), lastRotatedAt: t('2024-01-20T15:00:00.000Z') },
      expected: '2024-02-20T00:00:00.000Z',
    },
    {
      name: 'a success after an older failure: schedule from the success',
      s: { lastFailedAt: t('2024-01-10T00:00:00.000Z'), lastRotatedAt: t('2024-01-11T06:00:00.000Z'), rotationInterval: 2 },
      expected: '2024-01-14T00:00:00.000Z',
    },
    {
      name: 'disabled → null',
      s: { isAutoRotationEnabled: false, lastRotatedAt: t('2024-01-20T15:00:00.000Z') },
      expected: null,
    },
    {
      name: 'disabled after a failure → null',
      s: { isAutoRotationEnabled: false, lastFailedAt: t('2024-01-20T15:00:00.000Z') },
      expected: null,
    },
    {
      name: 'after a failure → next rotate-at occurrence (next day)',
      s: { lastRotatedAt: t('2024-01-01T00:00:00.000Z'), lastFailedAt: t('2024-01-31T00:05:00.000Z') },
      expected: '2024-02-01T00:00:00.000Z',
    },
    {
      name: 'after a failure, rotate-at later the same day → same day',
      s: { lastRotatedAt: t('2024-01-01T00:00:00.000Z'), lastFailedAt: t('2024-01-31T08:00:00.000Z'), rotateAtUtc: { hours: 20, minutes: 0 } },
      expected: '2024-01-31T20:00:00.000Z',
    },
    {
      name: 'failure exactly at the rotate-at instant → 24 h later, not immediately',
      s: { lastRotatedAt: t('2024-01-01T00:00:00.000Z'), lastFailedAt: t('2024-01-31T00:00:00.000Z') },
      expected: '2024-02-01T00:00:00.000Z',
    },
    {
      name: 'failure of the very first scheduled rotation (never rotated since create)',
      s: { lastRotatedAt: null, lastFailedAt: t('2024-01-31T00:00:01.000Z'), rotationInterval: 30 },
      expected: '2024-02-01T00:00:00.000Z',
    },
  ])('$name', ({ s, expected }) => {
    expect(iso(computeNextRotationAt({ ...base, ...s }))).toBe(expected);
  });

  it.each([
    ['2024-01-31T00:00:00.000Z'],
    ['2024-01-31T00:00:00.001Z'],
    ['2024-01-31T13:37:00.000Z'],
    ['2024-01-31T23:59:59.999Z'],
  ])('after a failure at %s the retry is within (0, 24 h]', (failedAt) => {
    const failed = t(failedAt);
    for (const h of [0, 5, 13, 23]) {
      for (const m of [0, 37, 59]) {
        const next = computeNextRotationAt({ ...base, rotateAtUtc: { hours: h, minutes: m }, lastFailedAt: failed });
        expect(next).not.toBeNull();
        expect(next! - failed).toBeGreaterThan(0);
        expect(next! - failed).toBeLessThanOrEqual(DAY_MS);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// rotationWindowMinutes: the herd spread

/** UUID-shaped ids that differ only in their last digits: the hardest input for a weak hash. */
const seqId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const IDS = Array.from({ length: 10_000 }, (_, i) => seqId(i));

/** First id of the sequence whose offset in a `window`-minute window satisfies `pred` (found, not hard-coded). */
function idWhere(window: number, pred: (offsetMs: number) => boolean): string {
  const id = IDS.find((i) => pred(rotationWindowOffsetMs(i, window)));
  if (!id) throw new Error('no such id in the test sequence');
  return id;
}

const schedule = (over: Partial<ScheduleInput>): ScheduleInput => ({
  rotationId: seqId(0),
  isAutoRotationEnabled: true,
  rotationInterval: 30,
  rotateAtUtc: { hours: 0, minutes: 0 },
  rotationWindowMinutes: 60,
  lastRotatedAt: null,
  createdAt: t('2024-01-01T10:00:00.000Z'),
  lastFailedAt: null,
  ...over,
});

describe('rotationWindowOffsetMs', () => {
  it('window 0: offset 0 for every id, so the schedule is exactly rotateAtUtc (Infisical behaviour)', () => {
    for (const id of IDS.slice(0, 500)) expect(rotationWindowOffsetMs(id, 0)).toBe(0);
  });

  it.each([1, 15, 60, 240, 1440])('window %i min: whole seconds in [0, window), the same on every call', (window) => {
    for (const id of IDS.slice(0, 2000)) {
      const offset = rotationWindowOffsetMs(id, window);
      expect(offset).toBe(rotationWindowOffsetMs(id, window));
      expect(offset % 1000).toBe(0);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(window * MINUTE_MS);
    }
  });

  it('is pinned: a changed hash would silently move every existing rotation to another instant', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(hash32(id)).toBe(2_226_966_189);
    expect(iso(computeNextRotationAt(schedule({ rotationId: id })))).toBe('2024-02-01T00:31:06.000Z');
  });

  it('ids that differ in one character land far apart (mean gap ≈ window / 3, as for independent offsets)', () => {
    const window = 1440 * MINUTE_MS;
    let gaps = 0;
    for (let i = 0; i < 1000; i++) gaps += Math.abs(rotationWindowOffsetMs(seqId(i), 1440) - rotationWindowOffsetMs(seqId(i + 1), 1440));
    expect(gaps / 1000 / window).toBeGreaterThan(0.3);
    expect(gaps / 1000 / window).toBeLessThan(0.37);
  });

  it('a rotation keeps its relative place when the window is resized', () => {
    for (const id of IDS.slice(0, 500)) {
      const small = rotationWindowOffsetMs(id, 60);
      const large = rotationWindowOffsetMs(id, 1440);
      expect(Math.abs(large - small * 24)).toBeLessThan(24_000);
    }
  });

  it.each([
    [60, 60], // by minute
    [1440, 24], // by hour
  ])('10,000 sequential ids over a %i-minute window spread evenly over %i buckets (chi-square, p = 0.001)', (window, buckets) => {
    const counts = new Array<number>(buckets).fill(0);
    const perSecond = new Map<number, number>();
    for (const id of IDS) {
      const offset = rotationWindowOffsetMs(id, window);
      counts[Math.floor((offset / (window * MINUTE_MS)) * buckets)]! += 1;
      perSecond.set(offset, (perSecond.get(offset) ?? 0) + 1);
    }
    const expected = IDS.length / buckets;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 99.9 % quantiles of chi-square with 59 and 23 degrees of freedom.
    expect(chi2).toBeLessThan(buckets === 60 ? 98.32 : 49.73);
    // No second gets a crowd (all 10,000 share one second without a window): with a Poisson mean of 2.8 (60 min)
    // or 0.12 (24 h) per second, the busiest second holds about 11 or 4.
    expect(Math.max(...perSecond.values())).toBeLessThan(13);
  });

  it.each([-1, 1441, 1.5, Number.NaN])('rejects window %d (the schema refuses it first)', (window) => {
    expect(() => rotationWindowOffsetMs(seqId(1), window)).toThrow(RangeError);
  });
});

describe('computeNextRotationAt with a rotation window', () => {
  it('the due instant is rotateAtUtc + the offset on the day window 0 would choose', () => {
    for (const id of IDS.slice(0, 300)) {
      for (const s of [
        schedule({ rotationId: id }),
        schedule({ rotationId: id, rotateAtUtc: { hours: 6, minutes: 15 }, rotationInterval: 7, lastRotatedAt: t('2024-03-03T06:15:00.000Z') }),
      ]) {
        const plain = computeNextRotationAt({ ...s, rotationWindowMinutes: 0 })!;
        expect(computeNextRotationAt(s)).toBe(plain + rotationWindowOffsetMs(id, s.rotationWindowMinutes));
      }
    }
  });

  it('is stable: the same input gives the same instant on every call', () => {
    const s = schedule({ rotationId: seqId(42), lastRotatedAt: t('2024-02-01T00:13:00.000Z') });
    const first = computeNextRotationAt(s);
    for (let i = 0; i < 5; i++) expect(computeNextRotationAt({ ...s })).toBe(first);
  });

  it.each([
    { name: 'base before the window', base: '2024-01-31T23:00:00.000Z' },
    { name: 'base inside the window, before the rotation’s own time', base: '2024-01-31T23:31:00.000Z' },
    { name: 'base after the rotation’s own time', base: '2024-02-01T00:29:00.000Z' },
  ])('crossing midnight (23:30 + 60 min, own time after 00:00): $name', ({ base }) => {
    const id = idWhere(60, (o) => o >= 40 * MINUTE_MS && o < 50 * MINUTE_MS); // own time 00:10–00:20
    const own = dueTimeOfDayMs({ rotationId: id, rotateAtUtc: { hours: 23, minutes: 30 }, rotationWindowMinutes: 60 });
    expect(own).toBeGreaterThanOrEqual(10 * MINUTE_MS);
    expect(own).toBeLessThan(20 * MINUTE_MS);
    const from = t(base) - DAY_MS; // interval 1 day
    const next = computeNextRotationAt(schedule({ rotationId: id, rotateAtUtc: { hours: 23, minutes: 30 }, rotationInterval: 1, lastRotatedAt: from }))!;
    // The first instant at or after base whose UTC time of day is the rotation's own time: never early, ≤ 24 h late.
    expect(next % DAY_MS).toBe(own);
    expect(next).toBeGreaterThanOrEqual(t(base));
    expect(next - t(base)).toBeLessThan(DAY_MS);
  });

  it('crossing midnight: the day after 23:30 is the one an own time of 00:10–00:20 falls on', () => {
    const id = idWhere(60, (o) => o >= 40 * MINUTE_MS && o < 50 * MINUTE_MS);
    const next = computeNextRotationAt(schedule({ rotationId: id, rotateAtUtc: { hours: 23, minutes: 30 }, rotationInterval: 30, lastRotatedAt: t('2024-01-01T23:30:00.000Z') }))!;
    expect(iso(next)!.slice(0, 15)).toBe('2024-02-01T00:1');
  });

  it.each([
    { window: 60, at: { hours: 0, minutes: 0 }, interval: 30 },
    { window: 60, at: { hours: 23, minutes: 30 }, interval: 1 }, // crosses midnight
    { window: 1440, at: { hours: 12, minutes: 0 }, interval: 1 }, // window as long as the shortest interval
  ])('scheduled rotations count from when they were due: exactly every interval, no drift ($window min at $at.hours:$at.minutes, every $interval d)', ({ window, at, interval }) => {
    for (const id of IDS.slice(0, 50)) {
      const s = schedule({ rotationId: id, rotationWindowMinutes: window, rotateAtUtc: at, rotationInterval: interval });
      let due = computeNextRotationAt(s)!;
      for (let i = 0; i < 10; i++) {
        // The workflow passes lastScheduledFor (the due instant) as lastRotatedAt, however late the rotation finished.
        const next = computeNextRotationAt({ ...s, lastRotatedAt: due })!;
        expect(next - due).toBe(interval * DAY_MS);
        due = next;
      }
    }
  });

  it('after a failure: the retry is at the rotation’s own time, within (0, 24 h] of the failure', () => {
    for (const id of IDS.slice(0, 200)) {
      for (const at of [{ hours: 0, minutes: 0 }, { hours: 23, minutes: 30 }]) {
        const s = schedule({ rotationId: id, rotateAtUtc: at, rotationWindowMinutes: 90, lastRotatedAt: t('2024-01-01T00:00:00.000Z') });
        const own = dueTimeOfDayMs(s);
        const due = computeNextRotationAt(s)!;
        for (const failedAt of [due, due + 1, due + 3_000, due + 13 * 3_600_000]) {
          const retry = computeNextRotationAt({ ...s, lastFailedAt: failedAt })!;
          expect(retry % DAY_MS).toBe(own);
          expect(retry).toBeGreaterThan(failedAt);
          expect(retry - failedAt).toBeLessThanOrEqual(DAY_MS);
        }
        // A failure at the due instant itself retries 24 h later, not at once.
        expect(computeNextRotationAt({ ...s, lastFailedAt: due })).toBe(due + DAY_MS);
        // The retry succeeds (scheduled, so it counts from its due instant): back to the interval.
        const retry = due + DAY_MS;
        expect(computeNextRotationAt({ ...s, lastRotatedAt: retry, lastFailedAt: due })).toBe(retry + 30 * DAY_MS);
      }
    }
  });

  it('a manual rotation restarts the interval and lands on the rotation’s own time', () => {
    const s = schedule({ rotationId: seqId(7), rotationWindowMinutes: 240, rotateAtUtc: { hours: 2, minutes: 0 } });
    const manual = t('2024-01-20T15:00:00.000Z');
    const next = computeNextRotationAt({ ...s, lastRotatedAt: manual })!;
    expect(next % DAY_MS).toBe(dueTimeOfDayMs(s));
    expect(next).toBeGreaterThanOrEqual(manual + 30 * DAY_MS);
    expect(next - (manual + 30 * DAY_MS)).toBeLessThan(DAY_MS);
  });

  it('disabled → null, whatever the window', () => {
    expect(computeNextRotationAt(schedule({ isAutoRotationEnabled: false, rotationWindowMinutes: 1440 }))).toBeNull();
  });
});
