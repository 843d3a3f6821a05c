import { z } from 'zod';
import { type ErrorDetail, errorDetailSchema, formatZodError } from '../domain/rotation-schemas.js';

export type ServiceErrorKind = 'validation' | 'not-found' | 'conflict' | 'failed' | 'unavailable';

export type { ErrorDetail };

/** Every error answer of the API (and the CLI's --json errors): `{ statusCode, error, message, details? }`. */
export const errorSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  details: z.array(errorDetailSchema).optional(),
});
export type ErrorBody = z.output<typeof errorSchema>;

/** An error meant for the user, of a kind its edge maps to an answer; the message names the field and the rule. */
export class UserError<K extends string> extends Error {
  constructor(
    readonly kind: K,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

/** An error of the service: the API maps `kind` to a status code, the CLI to its exit code. */
export class ServiceError extends UserError<ServiceErrorKind> {
  override readonly name = 'ServiceError';
}

export const HTTP_STATUS: Record<ServiceErrorKind, number> = {
  validation: 400,
  'not-found': 404,
  conflict: 409,
  failed: 422,
  unavailable: 503,
};

export function fieldError(kind: ServiceErrorKind, field: string, rule: string): ServiceError {
  const message = `${field} ${rule}`;
  return new ServiceError(kind, message, [{ field, rule, message }]);
}

/** Parses input with a schema, or throws a validation error naming every field and rule. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const { message, details } = formatZodError(parsed.error);
  throw new ServiceError('validation', message, details);
}
