/**
 * pg-rotator's own process-wide metrics (one home for their names, types and labels). Every label is bounded:
 * outcomes, steps and reason classes are fixed sets; clusters are the target clusters this process reaches.
 * Per-rotation series come only from the control database at scrape time (rotation-gauges.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RotationActivities } from '../activities/types.js';
import type { RotationState } from '../domain/rotation-types.js';
import { FailureType, isUnavailable } from '../domain/failures.js';
import { ConfigurationError } from '../domain/errors.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const rotationsTotal = new Counter({
  name: 'pg_rotator_rotations_total',
  help: 'Rotation attempts that ended, by outcome (success: published; failure: the rotation gave up and is failed). Issue on create counts as a rotation.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const rotationDuration = new Histogram({
  name: 'pg_rotator_rotation_duration_seconds',
  help: 'Duration of a rotation attempt, from its start to its publish (success) or to giving up (failure), retries included.',
  labelNames: ['outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  registers: [registry],
});

export const stepFailures = new Counter({
  name: 'pg_rotator_step_failures_total',
  help: 'Failed attempts of a rotation step (every retry counts), by step (activity name) and reason class.',
  labelNames: ['step', 'reason'] as const,
  registers: [registry],
});

export const targetConnectionsInUse = new Gauge({
  name: 'pg_rotator_target_connections_in_use',
  help: 'Connections this process holds to a target cluster now (at most ROTATOR_TARGET_POOL_MAX), by cluster (its system identifier, or host:port until identified).',
  labelNames: ['cluster'] as const,
  registers: [registry],
});

export const targetConnectionWait = new Histogram({
  name: 'pg_rotator_target_connection_wait_seconds',
  help: 'Time a step waited for a free connection slot of a target cluster (only waits are observed), by cluster and outcome (acquired, gave_up).',
  labelNames: ['cluster', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'pg_rotator_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome (delivered; failed: retried later; abandoned: out of attempts).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/**
 * The steps a failure can be counted for: the activity names (anything else is `other`, so the label stays
 * bounded). A record over the activities' keys, so an activity added, renamed or removed fails type-check here.
 */
const STEP_NAMES: Record<keyof RotationActivities, true> = {
  preflight: true,
  stagePassword: true,
  applyPassword: true,
  verifyLogin: true,
  publish: true,
  recordState: true,
  saveConfig: true,
  revokeCredentials: true,
  removeRotation: true,
};
export const STEPS = Object.keys(STEP_NAMES) as (keyof RotationActivities)[];

/**
 * The reason class of a failed step: a configuration error (FailureType.ConfigurationError, never retried),
 * unreachable infrastructure (retried), or anything else.
 */
export type FailureReason = typeof FailureType.ConfigurationError | 'Unavailable' | 'Other';

export function failureReason(err: unknown): FailureReason {
  const type = (err as { type?: unknown }).type;
  if (err instanceof ConfigurationError || type === FailureType.ConfigurationError) return FailureType.ConfigurationError;
  return isUnavailable(err) ? 'Unavailable' : 'Other';
}

export function stepLabel(name: string | undefined): string {
  return (STEPS as readonly string[]).includes(name ?? '') ? name! : 'other';
}

export interface RotationOutcome {
  outcome: 'success' | 'failure';
  durationSeconds: number | null;
}

const seconds = (from: string | null, to: string) => (from === null ? null : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000));

/**
 * What a state change written to the control database means for the rotation counters: a new publish (success)
 * or a new failure. Compared with the stored state, so that a retried write is not counted twice.
 */
export function rotationOutcome(before: RotationState | null, after: RotationState): RotationOutcome | null {
  if (after.rotationStatus === 'success' && after.lastRotatedAt !== null && after.lastRotatedAt !== before?.lastRotatedAt) {
    return { outcome: 'success', durationSeconds: seconds(after.lastRotationAttemptedAt, after.lastRotatedAt) };
  }
  if (after.rotationStatus === 'failed' && after.lastFailedAt !== null && after.lastFailedAt !== before?.lastFailedAt) {
    return { outcome: 'failure', durationSeconds: seconds(after.lastRotationAttemptedAt, after.lastFailedAt) };
  }
  return null;
}

/** Counts a rotation that ended (call once its state change is committed). */
export function observeRotation(o: RotationOutcome | null): void {
  if (!o) return;
  rotationsTotal.inc({ outcome: o.outcome });
  if (o.durationSeconds !== null) rotationDuration.observe({ outcome: o.outcome }, o.durationSeconds);
}
