/**
 * docs/design.md §4 "Schedule rule". Deterministic (imported by the workflow bundle): pure arithmetic on epoch
 * milliseconds, UTC only — no Date.now(), no local time, no node imports.
 */
import type { RotateAtUtc } from './rotation-schemas.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * First instant at or after (`inclusive`) / strictly after `fromMs` whose UTC time of day is
 * `at.hours:at.minutes:00.000`. UTC days are exactly 86 400 000 ms in epoch time (no DST, no leap seconds).
 */
export function nextOccurrence(fromMs: number, at: RotateAtUtc, inclusive: boolean): number {
  if (!Number.isFinite(fromMs)) throw new RangeError('nextOccurrence: fromMs must be finite');
  if (!Number.isInteger(at.hours) || at.hours < 0 || at.hours > 23 || !Number.isInteger(at.minutes) || at.minutes < 0 || at.minutes > 59) {
    throw new RangeError('nextOccurrence: rotateAtUtc must be hours 0-23, minutes 0-59');
  }
  const dayStart = Math.floor(fromMs / DAY_MS) * DAY_MS;
  const candidate = dayStart + at.hours * HOUR_MS + at.minutes * MINUTE_MS;
  if (candidate > fromMs || (inclusive && candidate === fromMs)) return candidate;
  return candidate + DAY_MS;
}

export interface ScheduleInput {
  isAutoRotationEnabled: boolean;
  rotationInterval: number;
  rotateAtUtc: RotateAtUtc;
  lastRotatedAt: number | null;
  createdAt: number;
  lastFailedAt: number | null;
}

/**
 * When the next automatic rotation is due, or null while auto-rotation is disabled.
 * - After a failed attempt (newer than the last success): the next rotate-at occurrence strictly after the
 *   failure, so a retry comes at most 24 h later and never immediately in a loop.
 * - Otherwise: the first rotate-at occurrence at or after (lastRotatedAt ?? createdAt) + interval days;
 *   a manual rotation sets lastRotatedAt and therefore restarts the interval.
 */
export function computeNextRotationAt(s: ScheduleInput): number | null {
  if (!s.isAutoRotationEnabled) return null;
  if (s.lastFailedAt !== null && (s.lastRotatedAt === null || s.lastFailedAt > s.lastRotatedAt)) {
    return nextOccurrence(s.lastFailedAt, s.rotateAtUtc, false);
  }
  const base = s.lastRotatedAt ?? s.createdAt;
  return nextOccurrence(base + s.rotationInterval * DAY_MS, s.rotateAtUtc, true);
}
