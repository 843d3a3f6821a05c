import type { RotateAtUtc, RotationParameters, SecretsMapping } from './rotation-schemas.js';

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
  /** Absent in configurations stored before the setting existed: read it with `minimumOverlapOf`. */
  minimumOverlapSeconds?: number;
  createdAt: string;
  updatedAt: string;
}

/** The rotation's minimum overlap in seconds (0 = no minimum). */
export function minimumOverlapOf(config: Pick<RotationConfig, 'minimumOverlapSeconds'>): number {
  return config.minimumOverlapSeconds ?? 0;
}

export type RotationStatus = 'pending' | 'success' | 'failed';

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
   * published (right after issue or an incident rotation), so nobody can depend on it. Absent in states saved
   * before this field existed: then `lastRotatedAt` stands in for it.
   */
  inactiveRetiredAt?: string | null;
  /**
   * When the last successful rotation was due, if the schedule started it. The interval counts from this
   * instant, so a rotation that finishes a moment after its rotate-at time does not push the next one a day
   * later. Null after manual and incident rotations (they count from lastRotatedAt).
   */
  lastScheduledFor?: string | null;
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
  };
}

/** The seed product's response shape for a PostgreSQL credentials rotation, plus `rotationInProgress`. */
export interface RotationView {
  id: string;
  name: string;
  description: string | null;
  secretsMapping: SecretsMapping;
  isAutoRotationEnabled: boolean;
  activeIndex: Slot | null;
  folderId: string;
  connectionId: string;
  createdAt: string;
  updatedAt: string;
  rotationInterval: number;
  rotationStatus: RotationStatus;
  rotationInProgress: boolean;
  lastRotationAttemptedAt: string | null;
  lastRotatedAt: string | null;
  lastRotationJobId: string | null;
  nextRotationAt: string | null;
  connection: { app: 'postgres'; name: string; id: string };
  environment: { slug: string; name: string; id: string };
  projectId: string;
  folder: { id: string; path: string };
  rotateAtUtc: RotateAtUtc;
  lastRotationMessage: string | null;
  type: 'postgres-credentials';
  parameters: RotationParameters;
  /** Not in the seed: a manual rotation is refused (unless forced) while the credential it overwrites is younger. */
  minimumOverlapSeconds: number;
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
    minimumOverlapSeconds: minimumOverlapOf(config),
  };
}
