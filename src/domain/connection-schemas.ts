import { z } from 'zod';
import { slugSchema, utf8ByteLength, uuidSchema } from './rotation-schemas.js';

/** The credential fields without defaults: a patch must change only the fields it names. */
const credentialFields = {
  host: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(253, { error: 'must be at most 253 characters' })
    .regex(/^[A-Za-z0-9.:_-]+$/, { error: 'must be a host name or IP address' }),
  port: z.coerce.number().int({ error: 'must be an integer' }).min(1, { error: 'must be 1–65535' }).max(65535, { error: 'must be 1–65535' }),
  database: z.string().min(1, { error: 'must not be empty' }).refine((s) => utf8ByteLength(s) <= 63, { error: 'must be at most 63 bytes' }),
  username: z.string().min(1, { error: 'must not be empty' }).refine((s) => utf8ByteLength(s) <= 63, { error: 'must be at most 63 bytes' }),
  password: z.string().min(1, { error: 'must not be empty' }).max(1024, { error: 'must be at most 1024 characters' }),
  sslEnabled: z.boolean(),
  sslRejectUnauthorized: z.boolean(),
  sslCertificate: z.string().max(65_536, { error: 'must be at most 64 KiB' }).nullable().optional(),
};

/** Infisical's app-connection body for PostgreSQL (method "username-and-password"). */
export const connectionCredentialsSchema = z.strictObject({
  ...credentialFields,
  port: credentialFields.port.default(5432),
  sslEnabled: credentialFields.sslEnabled.default(false),
  sslRejectUnauthorized: credentialFields.sslRejectUnauthorized.default(true),
});

export const createConnectionSchema = z.strictObject({
  name: slugSchema,
  description: z.string().max(256, { error: 'must be at most 256 characters' }).nullable().optional(),
  projectId: uuidSchema,
  method: z.literal('username-and-password', { error: 'must be "username-and-password"' }).default('username-and-password'),
  credentials: connectionCredentialsSchema,
});

export type CreateConnectionInput = z.output<typeof createConnectionSchema>;

/** A patch: the fields given change; credentials may omit the password (the stored one is kept). */
export const updateConnectionSchema = z
  .strictObject({
    name: slugSchema.optional(),
    description: z.string().max(256, { error: 'must be at most 256 characters' }).nullable().optional(),
    credentials: z.strictObject(credentialFields).partial().optional(),
  })
  .refine((p) => p.name !== undefined || p.description !== undefined || p.credentials !== undefined, {
    error: 'must contain at least one field to change (name, description, credentials)',
  });

export type UpdateConnectionPatch = z.output<typeof updateConnectionSchema>;
