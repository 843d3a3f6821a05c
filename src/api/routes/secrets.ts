import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { secretQuerySchema } from '../../domain/secret-schemas.js';
import { readFolderSecrets } from '../../service/secrets.js';
import type { SecretValue } from '../../store/secrets.js';
import { errorSchema, secretSchema } from '../schemas.js';
import { actorOf, allow, type RouteDeps } from '../server.js';

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
const folderQuery = secretQuerySchema.omit({ key: true, version: true });
const keyQuery = secretQuerySchema.omit({ key: true });
const tags = ['secrets'];

function toSecret(s: SecretValue, q: { environment: string; secretPath: string }) {
  return {
    id: s.id,
    secretKey: s.secretKey,
    secretValue: s.secretValue,
    version: s.version,
    type: 'shared' as const,
    environment: q.environment,
    secretPath: q.secretPath,
    rotationId: s.rotationId,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** `/api/v3/secrets/raw`: the mapped secrets, latest versions or `?version=`. Every read is audited. */
export const secretRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { ctx }) => {
  app.get('/raw', { schema: { tags, querystring: folderQuery, response: { 200: z.object({ secrets: z.array(secretSchema) }), ...errors } } }, async (req) => {
    const principal = allow(req, 'read-secrets', req.query.projectId);
    const secrets = await readFolderSecrets(ctx, req.query, actorOf(principal));
    return { secrets: secrets.map((s) => toSecret(s, req.query)) };
  });

  app.get(
    '/raw/:secretName',
    { schema: { tags, params: z.strictObject({ secretName: z.string().min(1).max(255) }), querystring: keyQuery, response: { 200: z.object({ secret: secretSchema }), ...errors } } },
    async (req) => {
      const principal = allow(req, 'read-secrets', req.query.projectId);
      const [secret] = await readFolderSecrets(ctx, { ...req.query, key: req.params.secretName }, actorOf(principal));
      return { secret: toSecret(secret!, req.query) };
    },
  );
};
