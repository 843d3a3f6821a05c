/**
 * A rotation's stored configuration and workflow-owned state, and the view the API answers with. Free of zod
 * values (types only), because the workflow bundle imports it; the view's schema is in rotation-view-schemas.ts.
 */
import type { RotateAtUtc, RotationParameters, SecretsMapping } from './rotation-schemas.js';
import type { RotationView } from './rotation-view-schemas.js';

export type Slot = 0 | 1;

/** The non-secret configuration of one rotation, as stored in the control database and mirrored in the workflow. */
export interface RotationConfig {
  name: string;
  description: string | null;
  projectId: string;
  environment: { id: string; slug: string; name: string };
  folder: { id: string; path: string };
  connection: { app: 'postgres'; id: string; name: string };
  isAutoRotationEnabled: boolean;
  rotationInterval: number;
  rotateAtUtc: RotateAtUtc;
  parameters: RotationParameters;
  secretsMapping: SecretsMapping;
  /** 0 = no minimum. */
  minimumOverlapSeconds: number;
  /** 0 = exactly at rotateAtUtc. */
  rotationWindowMinutes: number;
  createdAt: string;
  updatedAt: string;
}

export type RotationStatus = RotationView['rotationStatus'];

/** Workflow-owned state: which slot is published and what happened last. Times are ISO-8601 UTC. */
export interface RotationState {
  activeIndex: Slot | null;
  /** Increases by one for every attempt to give a slot a new password; keys staged passwords. */
  generation: number;
  rotationStatus: RotationStatus;
  rotationInProgress: boolean;
  lastRotationAttemptedAt: string | null;
  lastRotatedAt: string | null;
  lastFailedAt: string | null;
  lastRotationJobId: string | null;
  lastRotationMessage: string | null;
  nextRotationAt: string | null;
  updatedAt: string;
  /**
   * When the inactive slot's current credential stopped being the published one; null when it was never
   * published (right after issue or an incident rotation), so nobody can depend on it.
   */
  inactiveRetiredAt: string | null;
  /**
   * When the last successful rotation was due, if the schedule started it. The interval counts from this
   * instant, so a rotation that finishes a moment after its rotate-at time does not push the next one a day
   * later. Null after manual and incident rotations (they count from lastRotatedAt).
   */
  lastScheduledFor: string | null;
}

/** State of a rotation whose credentials have not been issued yet. */
export function initialRotationState(updatedAt: string): RotationState {
  return {
    activeIndex: null,
    generation: 0,
    rotationStatus: 'pending',
    rotationInProgress: false,
    lastRotationAttemptedAt: null,
    lastRotatedAt: null,
    lastFailedAt: null,
    lastRotationJobId: null,
    lastRotationMessage: null,
    nextRotationAt: null,
    updatedAt,
    inactiveRetiredAt: null,
    lastScheduledFor: null,
  };
}

export function toRotationView(id: string, config: RotationConfig, state: RotationState): RotationView {
  const updatedAt = state.updatedAt > config.updatedAt ? state.updatedAt : config.updatedAt;
  return {
    id,
    name: config.name,
    description: config.description,
    secretsMapping: config.secretsMapping,
    isAutoRotationEnabled: config.isAutoRotationEnabled,
    activeIndex: state.activeIndex,
    folderId: config.folder.id,
    connectionId: config.connection.id,
    createdAt: config.createdAt,
    updatedAt,
    rotationInterval: config.rotationInterval,
    rotationStatus: state.rotationStatus,
    rotationInProgress: state.rotationInProgress,
    lastRotationAttemptedAt: state.lastRotationAttemptedAt,
    lastRotatedAt: state.lastRotatedAt,
    lastRotationJobId: state.lastRotationJobId,
    nextRotationAt: state.nextRotationAt,
    connection: config.connection,
    environment: config.environment,
    projectId: config.projectId,
    folder: config.folder,
    rotateAtUtc: config.rotateAtUtc,
    lastRotationMessage: state.lastRotationMessage,
    type: 'postgres-credentials',
    parameters: config.parameters,
    minimumOverlapSeconds: config.minimumOverlapSeconds,
    rotationWindowMinutes: config.rotationWindowMinutes,
  };
}
