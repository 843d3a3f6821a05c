/**
 * docs/design.md §4 "Schedule rule". Deterministic (imported by the workflow bundle): pure arithmetic on epoch
 * milliseconds, UTC only — no Date.now(), no local time, no node imports.
 */
import { MAX_ROTATION_WINDOW_MINUTES } from './rotation-rules.js';
import type { RotateAtUtc } from './rotation-schemas.js';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** rotateAtUtc as milliseconds after UTC midnight. */
export function rotateAtMs(at: RotateAtUtc): number {
  if (!Number.isInteger(at.hours) || at.hours < 0 || at.hours > 23 || !Number.isInteger(at.minutes) || at.minutes < 0 || at.minutes > 59) {
    throw new RangeError('rotateAtUtc must be hours 0-23, minutes 0-59');
  }
  return at.hours * HOUR_MS + at.minutes * MINUTE_MS;
}

/**
 * First instant at or after (`inclusive`) / strictly after `fromMs` whose UTC time of day is `timeOfDayMs`
 * (milliseconds after midnight). UTC days are exactly 86 400 000 ms in epoch time (no DST, no leap seconds).
 */
export function nextOccurrence(fromMs: number, timeOfDayMs: number, inclusive: boolean): number {
  if (!Number.isFinite(fromMs)) throw new RangeError('nextOccurrence: fromMs must be finite');
  if (!Number.isInteger(timeOfDayMs) || timeOfDayMs < 0 || timeOfDayMs >= DAY_MS) {
    throw new RangeError('nextOccurrence: timeOfDayMs must be an integer from 0 to 86399999');
  }
  const dayStart = Math.floor(fromMs / DAY_MS) * DAY_MS;
  const candidate = dayStart + timeOfDayMs;
  if (candidate > fromMs || (inclusive && candidate === fromMs)) return candidate;
  return candidate + DAY_MS;
}

/**
 * 32-bit FNV-1a over the UTF-16 code units, then MurmurHash3's finaliser so that ids differing in one
 * character (sequential ids) land far apart. Pure and tiny on purpose: the workflow bundle has no node:crypto,
 * and this needs spread, not secrecy.
 */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Where this rotation falls in its window: whole seconds in [0, window), derived from the rotation id alone, so
 * it is the same on every run and every worker. The hash is read as a fraction of the window, so a rotation
 * keeps its relative place when the window is resized.
 */
export function rotationWindowOffsetMs(rotationId: string, rotationWindowMinutes: number): number {
  if (!Number.isInteger(rotationWindowMinutes) || rotationWindowMinutes < 0 || rotationWindowMinutes > MAX_ROTATION_WINDOW_MINUTES) {
    throw new RangeError(`rotationWindowMinutes must be an integer from 0 to ${MAX_ROTATION_WINDOW_MINUTES}`);
  }
  const windowSeconds = (rotationWindowMinutes * MINUTE_MS) / SECOND_MS;
  // hash32 < 2^32 and windowSeconds ≤ 86 400: the product stays below 2^53, exact in a double.
  return Math.floor((hash32(rotationId) * windowSeconds) / 2 ** 32) * SECOND_MS;
}

export interface ScheduleInput {
  /** Seeds the rotation's place in its window. */
  rotationId: string;
  isAutoRotationEnabled: boolean;
  rotationInterval: number;
  rotateAtUtc: RotateAtUtc;
  /** 0 = exactly at rotateAtUtc. */
  rotationWindowMinutes: number;
  lastRotatedAt: number | null;
  createdAt: number;
  lastFailedAt: number | null;
}

/**
 * The rotation's own UTC time of day (ms after midnight): rotateAtUtc plus its offset in the window, past
 * midnight wrapping to the next day's early hours. A window of at most 24 h keeps this one time of day, so the
 * spread is only a shift of rotateAtUtc and every rule of computeNextRotationAt holds as for window 0.
 */
export function dueTimeOfDayMs(s: Pick<ScheduleInput, 'rotationId' | 'rotateAtUtc' | 'rotationWindowMinutes'>): number {
  return (rotateAtMs(s.rotateAtUtc) + rotationWindowOffsetMs(s.rotationId, s.rotationWindowMinutes)) % DAY_MS;
}

/**
 * When the next automatic rotation is due, or null while auto-rotation is disabled. "Due time" below is the
 * rotation's own time of day (dueTimeOfDayMs): rotateAtUtc, shifted inside rotationWindowMinutes.
 * - After a failed attempt (newer than the last success): the next due time strictly after the failure, so a
 *   retry comes at most 24 h later and never immediately in a loop.
 * - Otherwise: the first due time at or after (lastRotatedAt ?? createdAt) + interval days; a manual rotation
 *   sets lastRotatedAt and therefore restarts the interval. The workflow passes the instant a scheduled
 *   rotation was due as lastRotatedAt: that is a due time, so the next one comes exactly interval days later.
 */
export function computeNextRotationAt(s: ScheduleInput): number | null {
  if (!s.isAutoRotationEnabled) return null;
  const dueTime = dueTimeOfDayMs(s);
  if (s.lastFailedAt !== null && (s.lastRotatedAt === null || s.lastFailedAt > s.lastRotatedAt)) {
    return nextOccurrence(s.lastFailedAt, dueTime, false);
  }
  const base = s.lastRotatedAt ?? s.createdAt;
  return nextOccurrence(base + s.rotationInterval * DAY_MS, dueTime, true);
}
