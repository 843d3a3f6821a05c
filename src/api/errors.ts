import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { redact } from '../domain/errors.js';
import { type ErrorBody, type ErrorDetail, HTTP_STATUS, ServiceError } from '../service/errors.js';
import { AuthError } from '../service/tokens.js';
import { MissingRootKeyError } from '../store/secret-box.js';

export function errorBody(statusCode: number, message: string, details?: ErrorDetail[], fix?: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(details && details.length > 0 ? { details } : {}), ...(fix ? { fix } : {}) };
}

/**
 * Every error leaves as `{ statusCode, error, message, details?, fix? }`. Our own errors keep their message;
 * Fastify's client errors (malformed JSON, wrong content type, oversize body) keep theirs; anything else is a
 * 500 whose message says nothing about internals (the log gets the redacted message).
 */
export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof ServiceError) {
    void reply.status(HTTP_STATUS[err.kind]).send(errorBody(HTTP_STATUS[err.kind], err.message, err.details, err.fix));
    return;
  }
  if (err instanceof AuthError) {
    void reply.status(err.status).send(errorBody(err.status, err.message));
    return;
  }
  if (err instanceof MissingRootKeyError) {
    // The operator's to fix, and it names only a key id (ids are not secret): say which key the server lacks.
    request.log.error({ err: err.message }, 'request failed');
    void reply.status(500).send(errorBody(500, err.message));
    return;
  }
  const status = (err as FastifyError).statusCode;
  if (status === 415) {
    // Fastify says only "Unsupported Media Type: <type>"; the client needs to know what to send instead.
    const sent = request.headers['content-type'];
    const message = `${sent ? `content type ${JSON.stringify(sent.split(';')[0]!.trim())} is not supported` : 'the request has a body but no content type'}: send the body as application/json`;
    void reply.status(415).send(errorBody(415, message));
    return;
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    void reply.status(status).send(errorBody(status, redact(err.message)));
    return;
  }
  request.log.error({ err: redact(err.message) }, 'request failed');
  void reply.status(500).send(errorBody(500, 'internal error; see the server log'));
}
