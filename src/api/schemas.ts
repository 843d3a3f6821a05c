import { z } from 'zod';
import { rotateAtUtcSchema, rotationParametersSchema, secretsMappingSchema } from '../domain/rotation-schemas.js';

// Response shapes, for the OpenAPI document and to check every answer against its own schema.

const iso = z.string();

export const errorSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  details: z.array(z.object({ field: z.string(), rule: z.string(), message: z.string() })).optional(),
});

export const rotationSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  secretsMapping: secretsMappingSchema,
  isAutoRotationEnabled: z.boolean(),
  activeIndex: z.union([z.literal(0), z.literal(1)]).nullable(),
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
  minimumOverlapSeconds: z.number().int(),
});

export const incidentRotationSchema = z.object({
  warning: z.string().describe('who loses access: every holder of an earlier password of either role'),
  secretRotation: rotationSchema,
});

export const rotationCheckSchema = z.object({
  rotationId: z.string(),
  checkedAt: iso,
  activeIndex: z.union([z.literal(0), z.literal(1)]),
  slots: z.array(
    z.object({
      slot: z.union([z.literal(0), z.literal(1)]),
      username: z.string(),
      loginOk: z.boolean(),
      error: z.string().optional(),
    }),
  ),
  mappedSecretsMatchActive: z.boolean(),
  drift: z.boolean(),
  advice: z.string(),
});

export const generatedCredentialsSchema = z.object({
  rotationId: z.string(),
  type: z.literal('postgres-credentials'),
  activeIndex: z.number().int().nullable(),
  generatedCredentials: z.array(z.object({ username: z.string(), password: z.string() })),
});

export const connectionSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  projectId: z.string(),
  app: z.literal('postgres'),
  method: z.literal('username-and-password'),
  credentials: z.object({
    host: z.string(),
    port: z.number().int(),
    database: z.string(),
    username: z.string(),
    sslEnabled: z.boolean(),
    sslRejectUnauthorized: z.boolean(),
    sslCertificate: z.string().nullable(),
  }),
  createdAt: iso,
  updatedAt: iso,
});

export const environmentSchema = z.object({ id: z.string(), slug: z.string(), name: z.string() });
export const projectSchema = z.object({ id: z.string(), name: z.string(), environments: z.array(environmentSchema), createdAt: iso, updatedAt: iso });

export const secretSchema = z.object({
  id: z.string(),
  secretKey: z.string(),
  secretValue: z.string(),
  version: z.number().int(),
  type: z.literal('shared'),
  environment: z.string(),
  secretPath: z.string(),
  rotationId: z.string().nullable(),
  createdAt: iso,
  updatedAt: iso,
});

export const statusSchema = z.object({ status: z.literal('ok'), version: z.string() });

export function idParams<K extends string>(name: K) {
  return z.strictObject({ [name]: z.uuid({ error: 'must be a UUID' }) } as Record<K, z.ZodUUID>);
}
