import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TOKEN_ACTIONS, tokenInfoSchema } from '../../domain/token-schemas.js';
import { AuthError } from '../../service/tokens.js';
import { errorSchema } from '../schemas.js';

/** `GET /api/v1/auth/token`: who the bearer token is and what it may do (never the token itself). Any valid token. */
export const tokenInfoRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/v1/auth/token',
    { schema: { tags: ['auth'], description: 'The calling token: its name, project (null: all) and actions.', response: { 200: z.object({ token: tokenInfoSchema }), 401: errorSchema } } },
    async (req) => {
      const p = req.principal;
      if (!p) throw new AuthError(401, 'a bearer token is required');
      return { token: { name: p.name, projectId: p.projectId, actions: TOKEN_ACTIONS.filter((a) => p.actions.has(a)) } };
    },
  );
};
