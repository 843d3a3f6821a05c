import { z } from 'zod';
import { withFix } from '../domain/failures.js';
import { type ErrorDetail, errorDetailSchema, formatZodError } from '../domain/rotation-schemas.js';

export type ServiceErrorKind = 'validation' | 'not-found' | 'conflict' | 'failed' | 'unavailable';

export type { ErrorDetail };

/** Every error answer of the API (and the CLI's --json errors): `{ statusCode, error, message, details?, fix? }`. */
export const errorSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  details: z.array(errorDetailSchema).optional(),
  fix: z
    .string()
    .optional()
    .describe('the SQL or step that fixes a configuration problem found on the target (a missing role, a missing privilege); the message ends with it too'),
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

/**
 * An error of the service: the API maps `kind` to a status code, the CLI to its exit code. `fix`: the SQL or step
 * that fixes a configuration problem, as data (the message ends with it too).
 */
export class ServiceError extends UserError<ServiceErrorKind> {
  override readonly name = 'ServiceError';

  constructor(
    kind: ServiceErrorKind,
    message: string,
    details: ErrorDetail[] = [],
    readonly fix?: string,
  ) {
    super(kind, message, details);
  }
}

export const HTTP_STATUS: Record<ServiceErrorKind, number> = {
  validation: 400,
  'not-found': 404,
  conflict: 409,
  failed: 422,
  unavailable: 503,
};

/** `field` broke `rule`; with a `fix`, the message (the detail's and the error's) ends with it and `fix` carries it. */
export function fieldError(kind: ServiceErrorKind, field: string, rule: string, fix?: string): ServiceError {
  const message = `${field} ${withFix(rule, fix)}`;
  return new ServiceError(kind, message, [{ field, rule, message }], fix);
}

/** Parses input with a schema, or throws a validation error naming every field and rule. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const { message, details } = formatZodError(parsed.error);
  throw new ServiceError('validation', message, details);
}
