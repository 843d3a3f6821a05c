import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RotationConfig, RotationState } from '../domain/rotation-types.js';
import type { RotationView } from '../domain/rotation-view-schemas.js';
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

/** How the workflow ended: deleted, or issuing failed on create (a refused create, not a failed workflow). */
export type RotationOutcome = { ended: 'deleted' } | { ended: 'issue-failed'; message: string };

/** Who asked: `token:<id>`, `admin-token`, `cli:<user>`…; recorded in the audit log. */
export interface Actor {
  actor?: string;
}

export interface DeleteOptions extends Actor {
  deleteSecrets: boolean;
  revokeGeneratedCredentials: boolean;
}

export interface RotateUpdateOptions extends RotateOptions, Actor {
  /** false: answer as soon as the rotation is requested (after the validator accepted it), not when it finished. */
  wait?: boolean;
}

/** Fire-and-forget manual rotation; dropped (not refused) when the minimum overlap forbids it. */
export const rotateNowSignal = defineSignal('rotateNow');
/**
 * Manual rotation that returns the rotation once it has finished (joining one already running). Refused by its
 * validator (failure type `MinimumOverlap`, nothing recorded in history) when it would overwrite a credential
 * that stopped being active less than minimumOverlapSeconds ago, unless `force`.
 */
export const rotateUpdate = defineUpdate<RotationView, [RotateUpdateOptions]>('rotate');
/**
 * Incident rotation: both roles get fresh passwords now, under the rotation lock. The inactive slot first
 * (stage → apply → verify → publish as active), then the other (stage → apply → verify → store, not published).
 * Returns the rotation; `activeIndex` ends on the slot that was inactive. Holders of either old pair lose access.
 */
export const rotateBothUpdate = defineUpdate<RotationView, [Actor]>('rotateBoth');
/** Waits for the credentials issued on create; fails (type `IssueFailed`) with the reason if issuing failed. */
export const issuedUpdate = defineUpdate<RotationView>('waitForIssue');
export const updateConfigUpdate = defineUpdate<RotationView, [UpdateRotationPatch & Actor]>('updateConfig');
export const deleteUpdate = defineUpdate<{ deleted: true }, [DeleteOptions]>('delete');
export const getRotationQuery = defineQuery<RotationView>('getRotation');
