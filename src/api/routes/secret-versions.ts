import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { secretVersionSchema } from '../../domain/secret-schemas.js';
import { requireRotation } from '../../service/rotations.js';
import { listSecretVersions } from '../../service/secrets.js';
import { errorSchema, idParams } from '../schemas.js';
import { allow, type RouteDeps } from '../server.js';

/**
 * `GET …/:rotationId/secret-versions`: the history of a rotation's mapped secrets (key, version, when), newest
 * first. Values are not part of it: reading one is `GET /api/v3/secrets/raw/:name?version=` (read-secrets, audited).
 */
export const secretVersionRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { ctx }) => {
  app.get(
    '/:rotationId/secret-versions',
    {
      schema: {
        tags: ['secret rotations'],
        description: 'Versions of the mapped secrets over time, newest first; no values (read one with GET /api/v3/secrets/raw/:name?version=).',
        params: idParams('rotationId'),
        querystring: z.strictObject({
          limit: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(1, { error: 'must be 1–1000' }).max(1000, { error: 'must be 1–1000' }).default(100),
        }),
        response: { 200: z.object({ secretVersions: z.array(secretVersionSchema) }), 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema },
      },
    },
    async (req) => {
      const rotation = await requireRotation(ctx, req.params.rotationId);
      allow(req, 'read', rotation.projectId);
      return { secretVersions: await listSecretVersions(ctx, rotation.id, req.query.limit) };
    },
  );
};
