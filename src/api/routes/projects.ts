import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createEnvironmentSchema, createProjectSchema } from '../../domain/project-schemas.js';
import { addEnvironment, createProject, listAllProjects, requireProject } from '../../service/projects.js';
import { environmentSchema, errorSchema, idParams, projectSchema } from '../schemas.js';
import { actorOf, allow, type RouteDeps } from '../server.js';

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };
const byId = idParams('projectId');
const tags = ['projects'];

/** `/api/v1/projects`: projects with their environments (dev, staging, prod by default). */
export const projectRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, { ctx }) => {
  app.post('', { schema: { tags, description: 'Admin token only.', body: createProjectSchema, response: { 200: z.object({ project: projectSchema }), ...errors } } }, async (req) => {
    const principal = allow(req, 'create', null);
    return { project: await createProject(ctx, req.body, actorOf(principal)) };
  });

  app.get('', { schema: { tags, description: 'The projects the token may read.', response: { 200: z.object({ projects: z.array(projectSchema) }), ...errors } } }, async (req) => {
    const principal = allow(req, 'read', req.principal?.projectId ?? null);
    return { projects: await listAllProjects(ctx, principal.projectId ? [principal.projectId] : undefined) };
  });

  app.get('/:projectId', { schema: { tags, params: byId, response: { 200: z.object({ project: projectSchema }), ...errors } } }, async (req) => {
    allow(req, 'read', req.params.projectId);
    return { project: await requireProject(ctx.db.pool, req.params.projectId) };
  });

  app.post(
    '/:projectId/environments',
    { schema: { tags, params: byId, body: createEnvironmentSchema, response: { 200: z.object({ environment: environmentSchema }), ...errors } } },
    async (req) => {
      const principal = allow(req, 'edit', req.params.projectId);
      return { environment: await addEnvironment(ctx, req.params.projectId, req.body, actorOf(principal)) };
    },
  );
};
