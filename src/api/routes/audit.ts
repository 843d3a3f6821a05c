import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditEventSchema, auditQuerySchema } from '../../domain/audit-schemas.js';
import { listAuditEvents } from '../../service/audit.js';
import { errorSchema } from '../schemas.js';
import { allow, type RouteDeps } from '../server.js';

/** `/api/v1/audit-events`: who did what, newest first (never a secret value). */
export const auditRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { ctx }) => {
  app.get(
    '',
    {
      schema: {
        tags: ['audit'],
        querystring: auditQuerySchema,
        response: { 200: z.object({ auditEvents: z.array(auditEventSchema) }), 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema },
      },
    },
    async (req) => {
      allow(req, 'read', req.query.projectId);
      return { auditEvents: await listAuditEvents(ctx, req.query) };
    },
  );
};
