import { expect } from 'vitest';

/** Infisical's sample create-rotation request, as written (every id in it is the same example UUID). */
export const SEED_SAMPLE_REQUEST = {
  name: 'my-pg-rotation',
  projectId: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  description: 'my database credentials rotation',
  connectionId: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  environment: 'dev',
  secretPath: '/',
  isAutoRotationEnabled: true,
  rotationInterval: 30,
  rotateAtUtc: { hours: 0, minutes: 0 },
  parameters: { username1: 'infisical_user_1', username2: 'infisical_user_2' },
  secretsMapping: { username: 'POSTGRES_DB_USERNAME', password: 'POSTGRES_DB_PASSWORD' },
};

/** Infisical's sample response (`secretRotation`); the values are JSON-type examples, every key must be present. */
export const SEED_SAMPLE_RESPONSE = {
  id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  name: 'my-pg-rotation',
  description: 'my database credentials rotation',
  secretsMapping: { username: 'POSTGRES_DB_USERNAME', password: 'POSTGRES_DB_PASSWORD' },
  isAutoRotationEnabled: true,
  activeIndex: 0,
  folderId: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  connectionId: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  createdAt: '2023-11-07T05:31:56Z',
  updatedAt: '2023-11-07T05:31:56Z',
  rotationInterval: 30,
  rotationStatus: 'success',
  lastRotationAttemptedAt: '2023-11-07T05:31:56Z',
  lastRotatedAt: '2023-11-07T05:31:56Z',
  lastRotationJobId: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  nextRotationAt: '2023-11-07T05:31:56Z',
  connection: { app: 'postgres', name: 'my-pg-connection', id: '3c90c3cc-0d44-4b50-8888-8dd25736052a' },
  environment: { slug: 'dev', name: 'Development', id: '3c90c3cc-0d44-4b50-8888-8dd25736052a' },
  projectId: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  folder: { id: '3c90c3cc-0d44-4b50-8888-8dd25736052a', path: '/' },
  rotateAtUtc: { hours: 0, minutes: 0 },
  lastRotationMessage: null,
  type: 'postgres-credentials',
  parameters: { username1: 'infisical_user_1', username2: 'infisical_user_2' },
};

/**
 * Every key path of the sample is present with a value of the same JSON type. A null example allows null only,
 * or, with `nullAllowsAny`, any value.
 */
export function expectSeedShape(actual: object, opts: { nullAllowsAny?: boolean } = {}, sample: object = SEED_SAMPLE_RESPONSE, prefix = ''): void {
  for (const [key, example] of Object.entries(sample)) {
    const where = `${prefix}${key}`;
    expect(actual, `missing ${where}`).toHaveProperty([key]);
    const value: unknown = (actual as Record<string, unknown>)[key];
    if (example === null) {
      if (!opts.nullAllowsAny) expect(value, where).toBeNull();
    } else if (typeof example === 'object') {
      expect(value, where).toBeTypeOf('object');
      expectSeedShape(value as object, opts, example as object, `${where}.`);
    } else expect(typeof value, where).toBe(typeof example);
  }
}
