import type { FastifyPluginAsync } from 'fastify';
import { controlDatabaseCheck, readiness, temporalCheck } from '../../metrics/health.js';
import type { RouteDeps } from '../server.js';

/**
 * Kubernetes probes: /healthz (the process answers) and /readyz (the control database and Temporal answer; 503
 * naming what is not). No token; left out of the OpenAPI document (operations, not API).
 */
export const healthRoutes: FastifyPluginAsync<RouteDeps> = async (app, { ctx }) => {
  const checks = { controlDatabase: controlDatabaseCheck(ctx.db.pool), temporal: temporalCheck(() => ctx.temporal.connection) };
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const r = await readiness(checks);
    return reply.status(r.statusCode).send(r.body);
  });
};
