import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RotationConfig, RotationState, RotationView } from '../domain/rotation-types.js';
import type { RotateOptions, UpdateRotationPatch } from '../domain/rotation-schemas.js';

export const TASK_QUEUE = 'pg-rotation';
export const WORKFLOW_TYPE = 'postgresCredentialsRotation';

export function rotationWorkflowId(rotationId: string): string {
  return `pg-rotation-${rotationId}`;
}

export interface RotationWorkflowInput {
  rotationId: string;
  config: RotationConfig;
  /** Absent on the first run (the workflow issues credentials); carried over continue-as-new afterwards. */
  state?: RotationState;
}

export interface DeleteOptions {
  deleteSecrets: boolean;
  revokeGeneratedCredentials: boolean;
}

/** Fire-and-forget manual rotation. */
export const rotateNowSignal = defineSignal('rotateNow');
/** Manual rotation that returns the rotation once it has finished (joining one already running). */
export const rotateUpdate = defineUpdate<RotationView>('rotate');
/**
 * The same `rotate` update with its options. Refused by its validator (failure type `MinimumOverlap`, nothing
 * recorded in history) when it would overwrite a credential that stopped being active less than
 * minimumOverlapSeconds ago, unless `force`.
 */
export const rotateWithOptionsUpdate = defineUpdate<RotationView, [RotateUpdateOptions]>('rotate');
export interface RotateUpdateOptions extends RotateOptions {
  /** false: answer as soon as the rotation is requested (after the validator accepted it), not when it finished. */
  wait?: boolean;
}
/** Failure type of a `rotate` refused because of the minimum overlap; details: [allowedAt ISO, minimumOverlapSeconds]. */
export const MINIMUM_OVERLAP_FAILURE = 'MinimumOverlap';
/**
 * Incident rotation: both roles get fresh passwords now, under the rotation lock. The inactive slot first
 * (stage → apply → verify → publish as active), then the other (stage → apply → verify → store, not published).
 * Returns the rotation; `activeIndex` ends on the slot that was inactive. Holders of either old pair lose access.
 */
export const rotateBothUpdate = defineUpdate<RotationView, [{ actor?: string }]>('rotateBoth');
/** Waits for the credentials issued on create; fails with the reason if issuing failed. */
export const issuedUpdate = defineUpdate<RotationView>('waitForIssue');
export const updateConfigUpdate = defineUpdate<RotationView, [UpdateRotationPatch & { actor?: string }]>('updateConfig');
export const deleteUpdate = defineUpdate<{ deleted: true }, [DeleteOptions & { actor?: string }]>('delete');
export const getRotationQuery = defineQuery<RotationView>('getRotation');
export type { RotationConfig, RotationState };
