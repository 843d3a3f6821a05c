import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { statusSchema } from '../schemas.js';

/** Health check: no token, no database or Temporal call (a load balancer may call it often). */
export const statusRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/status',
    { schema: { tags: ['status'], security: [], response: { 200: statusSchema } } },
    async () => ({ status: 'ok' as const, version: '0.1.0' }),
  );
};
