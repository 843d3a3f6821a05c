import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { uuidSchema } from '../../domain/rotation-schemas.js';
import { z } from 'zod';
import { createConnectionSchema, updateConnectionSchema } from '../../domain/connection-schemas.js';
import { addConnection, listAllConnections, removeConnection, requireConnection, updateConnection } from '../../service/connections.js';
import type { TargetConnection } from '../../store/connections.js';
import { connectionSchema, errorSchema, idParams } from '../schemas.js';
import { actorOf, allow, type RouteDeps } from '../server.js';

/** Infisical's app-connection shape; the password is write-only and never part of it. */
function toAppConnection(c: TargetConnection) {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    projectId: c.projectId,
    app: 'postgres' as const,
    method: 'username-and-password' as const,
    credentials: {
      host: c.host,
      port: c.port,
      database: c.database,
      username: c.username,
      sslEnabled: c.sslEnabled,
      sslRejectUnauthorized: c.sslRejectUnauthorized,
      sslCertificate: c.sslCertificate,
    },
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

const one = z.object({ appConnection: connectionSchema });
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };
/** Creating or changing credentials logs in to the server they name: 503 when it cannot be reached. */
const proveErrors = { ...errors, 503: errorSchema };
const byId = idParams('connectionId');
const tags = ['app connections'];

/** `/api/v1/app-connections/postgres`: admin connections to target databases. */
export const connectionRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { ctx }) => {
  app.post('', { schema: { tags, description: 'The credentials must log in; the password is stored encrypted and never returned.', body: createConnectionSchema, response: { 200: one, ...proveErrors } } }, async (req) => {
    const principal = allow(req, 'create', req.body.projectId);
    return { appConnection: toAppConnection(await addConnection(ctx, req.body, actorOf(principal))) };
  });

  app.get(
    '',
    { schema: { tags, querystring: z.strictObject({ projectId: uuidSchema }), response: { 200: z.object({ appConnections: z.array(connectionSchema) }), ...errors } } },
    async (req) => {
      allow(req, 'read', req.query.projectId);
      return { appConnections: (await listAllConnections(ctx, req.query.projectId)).map(toAppConnection) };
    },
  );

  app.get('/:connectionId', { schema: { tags, params: byId, response: { 200: one, ...errors } } }, async (req) => {
    const c = await requireConnection(ctx, req.params.connectionId);
    allow(req, 'read', c.projectId);
    return { appConnection: toAppConnection(c) };
  });

  app.patch('/:connectionId', { schema: { tags, params: byId, body: updateConnectionSchema, response: { 200: one, ...proveErrors } } }, async (req) => {
    const c = await requireConnection(ctx, req.params.connectionId);
    const principal = allow(req, 'edit', c.projectId);
    return { appConnection: toAppConnection(await updateConnection(ctx, c.id, req.body, actorOf(principal))) };
  });

  app.delete('/:connectionId', { schema: { tags, description: 'Refused (409) while a rotation uses the connection.', params: byId, response: { 200: one, ...errors } } }, async (req) => {
    const c = await requireConnection(ctx, req.params.connectionId);
    const principal = allow(req, 'delete', c.projectId);
    await removeConnection(ctx, c.id, actorOf(principal));
    return { appConnection: toAppConnection(c) };
  });
};
