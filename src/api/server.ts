import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { formatZodError } from '../domain/rotation-schemas.js';
import type { TokenAction } from '../domain/token-schemas.js';
import type { ApiTls } from '../config.js';
import type { ServiceContext } from '../service/context.js';
import { fieldError, ServiceError } from '../service/errors.js';
import { AuthError, authenticate, authorize, type Principal } from '../service/tokens.js';
import { AuthFailureLimiter, type AuthLimitOptions } from './auth-limiter.js';
import { errorBody, handleError } from './errors.js';
import { auditRoutes } from './routes/audit.js';
import { connectionRoutes } from './routes/connections.js';
import { healthRoutes } from './routes/health.js';
import { CONSOLE_PATHS, type ConsoleOptions, consoleRoutes } from './routes/console.js';
import { projectRoutes } from './routes/projects.js';
import { rotationRoutes } from './routes/rotations.js';
import { secretRoutes } from './routes/secrets.js';
import { secretVersionRoutes } from './routes/secret-versions.js';
import { statusRoutes } from './routes/status.js';
import { tokenInfoRoutes } from './routes/token-info.js';
import { errorSchema } from './schemas.js';

export interface ApiOptions {
  ctx: ServiceContext;
  /** ROTATOR_ADMIN_TOKEN: an all-projects token for bootstrapping. */
  adminToken?: string;
  logger?: boolean | { level: string };
  /** A logger of the caller's own (e.g. pino to a file); wins over `logger`. */
  loggerInstance?: FastifyBaseLogger;
  /** Largest accepted request body. */
  bodyLimit?: number;
  /**
   * Rate limiting of failed authentication per client address (default: 20 failures a minute, then 429 with
   * Retry-After); false turns it off (tests that send thousands of bad tokens on purpose).
   */
  authLimit?: AuthLimitOptions | false;
  /** Serve HTTPS with this certificate (and ask for client certificates when it has a client CA); else plain HTTP. */
  tls?: ApiTls | null;
  /** The web console: where its build is (default web/dist) and the Temporal UI it links to (none: no links). */
  console?: ConsoleOptions;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Routes anyone may call: health checks and the API's own documentation. Never authenticated, never limited. */
const PUBLIC = [/^\/api\/status$/, /^\/healthz$/, /^\/readyz$/, /^\/openapi\.json$/, /^\/docs(\/|$)/, ...CONSOLE_PATHS];
const isPublic = (path: string) => PUBLIC.some((p) => p.test(path));

/** A regular expression for a Fastify route URL (`/a/:id/b`, `/docs/*`). */
function routePattern(url: string): RegExp {
  const body = url
    .split('/')
    .map((segment) => (segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body.length > 1 ? body.replace(/\/$/, '') : body}$`);
}

export interface RouteDeps {
  ctx: ServiceContext;
}

/** The principal of an authenticated request, allowed to do `action` in `projectId` (null: no project). */
export function allow(request: FastifyRequest, action: TokenAction, projectId: string | null): Principal {
  if (!request.principal) throw new AuthError(401, 'a bearer token is required');
  authorize(request.principal, action, projectId);
  return request.principal;
}

export function actorOf(principal: Principal): string {
  return principal.tokenId ? `token:${principal.tokenId}` : 'admin-token';
}

/** Fastify's `https` option; a client CA makes the TLS handshake itself refuse clients without a certificate it signed. */
function httpsOptions(tls: ApiTls | null | undefined) {
  if (!tls) return {};
  const clientAuth = tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {};
  return { https: { cert: tls.cert, key: tls.key, ...clientAuth } };
}

export async function buildApi(opts: ApiOptions) {
  const app = Fastify({
    ...httpsOptions(opts.tls),
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? false }),
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    // Path parameters up to 4 KiB: a secret name may be 255 characters, each up to 12 once percent-encoded.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4096 },
    // Bad percent-encoding in the URL (and over-long parameters) get the same error body as everything else.
    frameworkErrors: (err, request, reply) => handleError(Object.assign(err, { statusCode: err.statusCode ?? 400 }), request, reply),
  }).withTypeProvider<ZodTypeProvider>();

  // Request validation goes through the same zod schemas as the CLI, with the same field-and-rule messages.
  app.setValidatorCompiler<z.ZodType>(({ schema }) => (data) => {
    const parsed = schema.safeParse(data);
    if (parsed.success) return { value: parsed.data };
    const { message, details } = formatZodError(parsed.error);
    return { error: new ServiceError('validation', message, details) };
  });
  app.setSerializerCompiler(serializerCompiler);
  // Clients often send `Content-Type: application/json` with no body on POST …/rotate-secrets: read that as no
  // body; anything else goes through Fastify's own parser (which also refuses __proto__ keys).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body.toString(), done);
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody(404, `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  // Answers every route may give besides its own, documented on each (added before @fastify/swagger registers,
  // so the document sees them): 431 on every route (Node's HTTP parser refuses a request line and headers over
  // its 16 KB limit before any route runs); 429 on authenticated routes (failed-authentication rate limit); 413
  // and 415 on routes that take a body (over bodyLimit, not JSON).
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (response) response[431] ??= errorSchema;
    if (response && !isPublic(url)) response[429] ??= errorSchema;
    if (response && route.schema?.body) {
      response[413] ??= errorSchema;
      response[415] ??= errorSchema;
    }
    routes.push({ pattern: routePattern(url), methods: [route.method].flat() });
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'pg-rotator', version: '0.1.0', description: 'Zero-downtime rotation of PostgreSQL passwords.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.decorateRequest('principal', null);
  const limiter = opts.authLimit === false ? null : new AuthFailureLimiter(opts.authLimit);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!isPublic(path)) {
      // A client over its failure budget is refused before its token is looked at (see auth-limiter.ts).
      const waitMs = limiter?.retryAfterMs(request.ip) ?? 0;
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        return reply
          .status(429)
          .header('retry-after', String(seconds))
          .send(errorBody(429, `too many failed authentication attempts from this address; retry in ${seconds} s`));
      }
      request.principal = await authenticate(opts.ctx.db.pool, request.headers.authorization, opts.adminToken);
      if (!request.principal) {
        limiter?.recordFailure(request.ip);
        throw new AuthError(401, 'missing or invalid bearer token');
      }
    }
    // A path that exists with other methods: 405 and Allow (RFC 9110 §15.5.6), before any body is read.
    if (request.is404) {
      const trimmed = path.length > 1 ? path.replace(/\/$/, '') : path;
      const allowed = [...new Set(routes.filter((r) => r.pattern.test(trimmed)).flatMap((r) => r.methods))].sort();
      if (allowed.length > 0) {
        return reply
          .status(405)
          .header('allow', allowed.join(', '))
          .send(errorBody(405, `method ${request.method} is not allowed on ${trimmed} (allowed: ${allowed.join(', ')})`));
      }
    }
  });

  // PostgreSQL text cannot hold NUL: a path or query parameter with one names nothing that exists, and must not
  // reach SQL (where it is an error, not a miss). Found by fuzzing: GET …/secrets/raw/a%00b was a 500.
  app.addHook('preValidation', async (request) => {
    for (const values of [request.params, request.query]) {
      if (!values || typeof values !== 'object') continue;
      for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
        if ([value].flat().some((v) => typeof v === 'string' && v.includes('\u0000'))) throw fieldError('validation', name, 'must not contain NUL characters');
      }
    }
  });

  const ctx = opts.ctx;
  await app.register(statusRoutes);
  await app.register(healthRoutes, { ctx });
  await app.register(rotationRoutes, { prefix: '/api/v2/secret-rotations/postgres-credentials', ctx });
  await app.register(connectionRoutes, { prefix: '/api/v1/app-connections/postgres', ctx });
  await app.register(projectRoutes, { prefix: '/api/v1/projects', ctx });
  await app.register(secretRoutes, { prefix: '/api/v3/secrets', ctx });
  await app.register(auditRoutes, { prefix: '/api/v1/audit-events', ctx });
  await app.register(secretVersionRoutes, { prefix: '/api/v2/secret-rotations/postgres-credentials', ctx });
  await app.register(tokenInfoRoutes);
  await app.register(consoleRoutes, opts.console ?? {});
  return app;
}
