import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RotationConfig, RotationState, RotationView } from '../domain/rotation-types.js';
import type { UpdateRotationPatch } from '../domain/rotation-schemas.js';

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
/** Waits for the credentials issued on create; fails with the reason if issuing failed. */
export const issuedUpdate = defineUpdate<RotationView>('waitForIssue');
export const updateConfigUpdate = defineUpdate<RotationView, [UpdateRotationPatch & { actor?: string }]>('updateConfig');
export const deleteUpdate = defineUpdate<{ deleted: true }, [DeleteOptions & { actor?: string }]>('delete');
export const getRotationQuery = defineQuery<RotationView>('getRotation');
export type { RotationConfig, RotationState };
