import { z } from 'zod';
import { uuidSchema } from '../domain/rotation-schemas.js';
import { rotationViewSchema } from '../domain/rotation-view-schemas.js';

// Response shapes, for the OpenAPI document and to check every answer against its own schema.

const iso = z.string();

export { errorSchema } from '../service/errors.js';
export { generatedCredentialsSchema, rotationCheckSchema, rotationViewSchema as rotationSchema } from '../domain/rotation-view-schemas.js';

export const incidentRotationSchema = z.object({
  warning: z.string().describe('who loses access: every holder of an earlier password of either role'),
  secretRotation: rotationViewSchema,
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
  return z.strictObject({ [name]: uuidSchema } as Record<K, z.ZodUUID>);
}
