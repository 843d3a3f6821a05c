import type { RotationState } from './rotation-types.js';

export type RotationEvent = 'rotation.failed' | 'rotation.recovered';

/**
 * What a state change means for alerting: every new failed attempt is `rotation.failed`; the first success
 * after failures is `rotation.recovered`. Comparing with the stored state keeps a retried write from
 * announcing the same change twice.
 */
export function rotationEvent(before: RotationState | null, after: RotationState): RotationEvent | null {
  if (after.rotationStatus === 'failed' && after.lastFailedAt !== null && after.lastFailedAt !== before?.lastFailedAt) {
    return 'rotation.failed';
  }
  if (after.rotationStatus === 'success' && before?.rotationStatus === 'failed') return 'rotation.recovered';
  return null;
}
