import { type FastifyPluginAsyncZod, serializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createRotationSchema,
  deleteRotationOptionsSchema,
  listRotationsQuerySchema,
  rotateOptionsSchema,
  rotationNameQuerySchema,
  updateRotationSchema,
} from '../../domain/rotation-schemas.js';
import { checkRotation } from '../../service/rotation-check.js';
import {
  createRotation,
  deleteRotation,
  getRotationByName,
  getRotationView,
  incidentRotation,
  listRotationPage,
  readGeneratedCredentials,
  requireRotation,
  rotateRotation,
  updateRotation,
} from '../../service/rotations.js';
import {
  errorSchema,
  generatedCredentialsSchema,
  idParams,
  incidentRotationSchema,
  rotationCheckSchema,
  rotationSchema,
} from '../schemas.js';
import { actorOf, allow, type RouteDeps } from '../server.js';

const one = z.object({ secretRotation: rotationSchema });
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 422: errorSchema, 503: errorSchema };
const byId = idParams('rotationId');
const tags = ['secret rotations'];

/**
 * A list may hold thousands of views: checking each against the response schema cost more than the query and the
 * JSON together (~110 ms of ~500 for 10,000). The views are built by toRotationView, typed as the schema's output,
 * so a list goes out as built; the schema still documents it (OpenAPI, Schemathesis checks it), and errors are
 * checked as everywhere. (Fastify types a route's serializer with the whole route schema, hence the cast.)
 */
function listSerializer(route: { httpStatus?: string }) {
  return route.httpStatus === '200' ? (data: unknown) => JSON.stringify(data) : serializerCompiler(route as unknown as Parameters<typeof serializerCompiler>[0]);
}

/** `/api/v2/secret-rotations/postgres-credentials`: Infisical's API. */
export const rotationRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { ctx }) => {
  app.post('', { schema: { tags, body: createRotationSchema, response: { 200: one, ...errors } } }, async (req) => {
    const principal = allow(req, 'create', req.body.projectId);
    return { secretRotation: await createRotation(ctx, req.body, actorOf(principal)) };
  });

  app.get(
    '',
    {
      schema: {
        tags,
        querystring: listRotationsQuerySchema,
        response: { 200: z.object({ secretRotations: z.array(rotationSchema), totalCount: z.number().int() }), ...errors },
      },
      serializerCompiler: listSerializer,
    },
    async (req) => {
      allow(req, 'read', req.query.projectId);
      return listRotationPage(ctx, req.query);
    },
  );

  app.get(
    '/rotation-name/:name',
    { schema: { tags, params: z.strictObject({ name: z.string() }), querystring: rotationNameQuerySchema, response: { 200: one, ...errors } } },
    async (req) => {
      allow(req, 'read', req.query.projectId);
      return { secretRotation: await getRotationByName(ctx, req.params.name, req.query) };
    },
  );

  app.get('/:rotationId', { schema: { tags, params: byId, response: { 200: one, ...errors } } }, async (req) => {
    const rotation = await requireRotation(ctx, req.params.rotationId);
    allow(req, 'read', rotation.projectId);
    return { secretRotation: await getRotationView(ctx, rotation) };
  });

  app.patch('/:rotationId', { schema: { tags, params: byId, body: updateRotationSchema, response: { 200: one, ...errors } } }, async (req) => {
    const rotation = await requireRotation(ctx, req.params.rotationId);
    const principal = allow(req, 'edit', rotation.projectId);
    return { secretRotation: await updateRotation(ctx, rotation, req.body, actorOf(principal)) };
  });

  app.delete(
    '/:rotationId',
    { schema: { tags, params: byId, querystring: deleteRotationOptionsSchema, response: { 200: one, ...errors } } },
    async (req) => {
      const rotation = await requireRotation(ctx, req.params.rotationId);
      const principal = allow(req, 'delete', rotation.projectId);
      return { secretRotation: await deleteRotation(ctx, rotation, req.query, actorOf(principal)) };
    },
  );

  app.post(
    '/:rotationId/rotate-secrets',
    {
      schema: {
        tags,
        description:
          'Rotates now and answers once the rotation finished (joining one already running). 409 when the credential it ' +
          'would overwrite stopped being active less than minimumOverlapSeconds ago (the message says from when it is ' +
          'allowed); `{ "force": true }` rotates anyway. The body is optional.',
        params: byId,
        body: rotateOptionsSchema.nullish(),
        response: { 200: one, ...errors },
      },
    },
    async (req) => {
      const rotation = await requireRotation(ctx, req.params.rotationId);
      const principal = allow(req, 'rotate', rotation.projectId);
      return { secretRotation: await rotateRotation(ctx, rotation, req.body ?? {}, actorOf(principal)) };
    },
  );

  app.post(
    '/:rotationId/incident-rotate',
    {
      schema: {
        tags,
        description:
          'Incident rotation, for when both credentials are known to be compromised: both roles get new passwords now and ' +
          'the new active pair is published. Every holder of an earlier password of either role loses access (see `warning`). ' +
          'Not held back by minimumOverlapSeconds. Audited as rotation.incident.',
        params: byId,
        response: { 200: incidentRotationSchema, ...errors },
      },
    },
    async (req) => {
      const rotation = await requireRotation(ctx, req.params.rotationId);
      const principal = allow(req, 'rotate', rotation.projectId);
      return incidentRotation(ctx, rotation, actorOf(principal));
    },
  );

  app.get(
    '/:rotationId/check',
    {
      schema: {
        tags,
        description:
          'Drift check: logs in to the target with both stored credentials (with the connection\u2019s TLS settings) and ' +
          'compares the mapped secrets with the active one. Reports drift (a password changed outside pg-rotator) and ' +
          'what repairs it. No passwords in the answer; changes nothing.',
        params: byId,
        response: { 200: rotationCheckSchema, ...errors },
      },
    },
    async (req) => {
      const principal = allow(req, 'read', (await requireRotation(ctx, req.params.rotationId)).projectId);
      return checkRotation(ctx, req.params.rotationId, actorOf(principal));
    },
  );

  app.get(
    '/:rotationId/generated-credentials',
    { schema: { tags, description: 'Both roles\u2019 current credentials; audited.', params: byId, response: { 200: generatedCredentialsSchema, ...errors } } },
    async (req) => {
      const rotation = await requireRotation(ctx, req.params.rotationId);
      const principal = allow(req, 'read-generated-credentials', rotation.projectId);
      return readGeneratedCredentials(ctx, rotation, actorOf(principal));
    },
  );
};
