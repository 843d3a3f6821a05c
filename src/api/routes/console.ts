import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TemporalUi } from '../../config.js';
import { consoleBuildDir } from '../../data-dir.js';
import { rotationWorkflowId } from '../../workflows/rotation-messages.js';
import { errorSchema } from '../schemas.js';
import { errorBody } from '../errors.js';

export interface ConsoleOptions {
  /** The built console (index.html, assets/); default web/dist. */
  dir?: string;
  /** The Temporal UI (ROTATOR_TEMPORAL_UI_URL) and namespace; without it the console shows no workflow links. */
  temporalUi?: TemporalUi | null;
}

/** The console loads only its own files and talks only to this origin; nothing inline, no framing. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

/** The paths the console's files are served on: public (no token), like the API's own docs. */
export const CONSOLE_PATHS = [/^\/$/, /^\/assets\/[A-Za-z0-9_.-]+$/, /^\/favicon\.svg$/];

const NOT_BUILT =
  'the pg-rotator web console is not built here: `npm run dev` and `npm test` build it, or run `npm run build:web`; ' +
  'the REST API works regardless (see /docs)';

/**
 * The web console: static files built by Vite, served with a strict Content-Security-Policy. Files are read per
 * request (a rebuild is picked up without a restart); names are checked against CONSOLE_PATHS, so no request
 * reaches outside the build folder. Also `GET /api/v1/console/settings`, what the console needs to know about
 * this server (any valid token).
 */
export const consoleRoutes: FastifyPluginAsyncZod<ConsoleOptions> = async (app, opts) => {
  const dir = opts.dir ?? consoleBuildDir;
  const hidden = { hide: true };

  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.url.startsWith('/api/')) {
      void reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    }
    return payload;
  });

  const send = async (file: string, immutable: boolean) => {
    const body = await readFile(path.join(dir, file)).catch(() => null);
    return body ? { body, type: TYPES[path.extname(file)] ?? 'application/octet-stream', cache: immutable ? 'public, max-age=31536000, immutable' : 'no-cache' } : null;
  };

  /** The file, or a 404 with the API's error body saying `missing`. */
  const serve = async (file: string | null, reply: FastifyReply, missing: string, immutable: boolean) => {
    const found = file === null ? null : await send(file, immutable);
    if (!found) return reply.status(404).send(errorBody(404, missing));
    return reply.type(found.type).header('cache-control', found.cache).send(found.body);
  };
  // A console that is not built says how to build it.
  app.get('/', { schema: hidden }, async (_request, reply) => serve('index.html', reply, NOT_BUILT, false));
  // Hashed names (Vite): cached for good.
  app.get('/assets/:name', { schema: { ...hidden, params: z.strictObject({ name: z.string() }) } }, async (request, reply) => {
    const name = request.params.name;
    return serve(/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name) ? path.join('assets', name) : null, reply, `no console file /assets/${name}`, true);
  });
  app.get('/favicon.svg', { schema: hidden }, async (_request, reply) => serve('favicon.svg', reply, 'no console file /favicon.svg', false));

  app.get(
    '/api/v1/console/settings',
    {
      schema: {
        tags: ['console'],
        description: 'What the web console needs to know about this server: the Temporal UI (null when ROTATOR_TEMPORAL_UI_URL is not set).',
        response: {
          200: z.object({
            temporalUi: z
              .object({ url: z.string(), namespace: z.string(), workflowUrl: z.string().describe('a rotation\u2019s workflow page, with {rotationId} to replace') })
              .nullable(),
          }),
          401: errorSchema,
        },
      },
    },
    async () => {
      const ui = opts.temporalUi;
      if (!ui) return { temporalUi: null };
      return { temporalUi: { ...ui, workflowUrl: `${ui.url}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${rotationWorkflowId('{rotationId}')}` } };
    },
  );
};
