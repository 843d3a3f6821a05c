import { z } from 'zod';
import { type RotateAtUtc, rotateAtUtcSchema, type RotationParameters, rotationParametersSchema, type SecretsMapping, secretsMappingSchema } from './rotation-schemas.js';

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

const slotSchema = z.union([z.literal(0), z.literal(1)]);
const iso = z.string();

/**
 * A PostgreSQL credentials rotation as the API answers it: Infisical's shape, plus `rotationInProgress`,
 * `minimumOverlapSeconds` and `rotationWindowMinutes`.
 */
export const rotationViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  secretsMapping: secretsMappingSchema,
  isAutoRotationEnabled: z.boolean(),
  activeIndex: slotSchema.nullable(),
  folderId: z.string(),
  connectionId: z.string(),
  createdAt: iso,
  updatedAt: iso,
  rotationInterval: z.number().int(),
  rotationStatus: z.enum(['pending', 'success', 'failed']),
  rotationInProgress: z.boolean(),
  lastRotationAttemptedAt: iso.nullable(),
  lastRotatedAt: iso.nullable(),
  lastRotationJobId: z.string().nullable(),
  nextRotationAt: iso.nullable(),
  connection: z.object({ app: z.literal('postgres'), name: z.string(), id: z.string() }),
  environment: z.object({ slug: z.string(), name: z.string(), id: z.string() }),
  projectId: z.string(),
  folder: z.object({ id: z.string(), path: z.string() }),
  rotateAtUtc: rotateAtUtcSchema,
  lastRotationMessage: z.string().nullable(),
  type: z.literal('postgres-credentials'),
  parameters: rotationParametersSchema,
  /** Not in Infisical: a manual rotation is refused (unless forced) while the credential it overwrites is younger. */
  minimumOverlapSeconds: z.number().int(),
  /** Not in Infisical: automatic rotations fall this many minutes after rotateAtUtc at most; nextRotationAt is the real instant. */
  rotationWindowMinutes: z.number().int(),
});
export type RotationView = z.output<typeof rotationViewSchema>;

/** The drift check's answer: both stored credentials tried against the target, and the mapped secrets compared. */
export const rotationCheckSchema = z.object({
  rotationId: z.string(),
  checkedAt: iso,
  activeIndex: slotSchema,
  slots: z.array(
    z.object({
      slot: slotSchema,
      username: z.string(),
      loginOk: z.boolean(),
      /** Why the login failed (no password in it). */
      error: z.string().optional(),
    }),
  ),
  /** The latest versions of the mapped secrets are the active slot's username and current password. */
  mappedSecretsMatchActive: z.boolean(),
  /** A stored password no longer logs in (it was changed outside pg-rotator), or the mapped secrets differ. */
  drift: z.boolean(),
  advice: z.string(),
});
export type RotationCheck = z.output<typeof rotationCheckSchema>;
export type SlotCheck = RotationCheck['slots'][number];

/** Both slots' current credentials (an explicit, audited read: the one answer that holds passwords). */
export const generatedCredentialsSchema = z.object({
  rotationId: z.string(),
  type: z.literal('postgres-credentials'),
  activeIndex: slotSchema.nullable(),
  generatedCredentials: z.array(z.object({ username: z.string(), password: z.string() })),
});
export type GeneratedCredentials = z.output<typeof generatedCredentialsSchema>;

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
