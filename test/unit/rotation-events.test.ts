import { describe, expect, it } from 'vitest';
import { rotationEvent } from '../../src/domain/rotation-events.js';
import { initialRotationState, type RotationState } from '../../src/domain/rotation-types.js';

const base = initialRotationState('2026-01-01T00:00:00.000Z');
const ok: RotationState = { ...base, activeIndex: 0, rotationStatus: 'success', lastRotatedAt: '2026-01-01T00:00:00.000Z' };
const failed = (at: string): RotationState => ({ ...ok, rotationStatus: 'failed', lastFailedAt: at, lastRotationMessage: 'boom' });

describe('rotationEvent', () => {
  it.each([
    ['first state written, success', null, ok, null],
    ['success → success', ok, ok, null],
    ['success → failed', ok, failed('2026-01-02T00:00:00.000Z'), 'rotation.failed'],
    ['failed → failed again (a new attempt)', failed('2026-01-02T00:00:00.000Z'), failed('2026-01-03T00:00:00.000Z'), 'rotation.failed'],
    ['failed → the same failure written again (a retried write)', failed('2026-01-02T00:00:00.000Z'), failed('2026-01-02T00:00:00.000Z'), null],
    ['failed → success', failed('2026-01-02T00:00:00.000Z'), { ...ok, lastRotatedAt: '2026-01-03T00:00:00.000Z' }, 'rotation.recovered'],
    ['issue failed (no stored state)', null, { ...base, rotationStatus: 'failed', lastFailedAt: '2026-01-02T00:00:00.000Z' } as RotationState, 'rotation.failed'],
    ['pending → success (issued)', base, ok, null],
  ] as const)('%s', (_label, before, after, expected) => {
    expect(rotationEvent(before, after)).toBe(expected);
  });
});
