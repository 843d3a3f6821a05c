/**
 * The API's answers about rotations, as zod schemas (the response schemas of the REST API) and the types inferred
 * from them. Kept apart from rotation-types.ts so that the workflow bundle, which needs only the types, loads no zod.
 */
import { z } from 'zod';
import { rotateAtUtcSchema, rotationParametersSchema, secretsMappingSchema } from './rotation-schemas.js';

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
