import { describe, expect, it } from 'vitest';
import { computeNextRotationAt, DAY_MS, nextOccurrence } from '../../src/domain/schedule.js';

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
    expect(iso(nextOccurrence(t(from), { hours, minutes }, inclusive))).toBe(expected);
  });

  it.each([
    [{ hours: 24, minutes: 0 }],
    [{ hours: 0, minutes: 60 }],
    [{ hours: -1, minutes: 0 }],
    [{ hours: 1.5, minutes: 0 }],
  ])('rejects an invalid rotate-at %j', (at) => {
    expect(() => nextOccurrence(0, at, true)).toThrow(RangeError);
  });
});

describe('computeNextRotationAt', () => {
  const base = {
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
