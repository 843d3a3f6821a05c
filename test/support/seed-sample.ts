/** The seed's sample create-rotation request, as written (every id in it is the same example UUID). */
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
