/**
 * The failures that cross Temporal (activity → workflow → update caller), by type, with named details, and the
 * one walk over an error's cause chain. Imported by the workflow bundle: no `node:` modules, no clocks.
 *
 * An ApplicationFailure carries its details as an array; ours always hold exactly one named object, read and
 * written only through this module, so that nobody depends on a position.
 */
import { ApplicationFailure } from '@temporalio/common';

export const FailureType = {
  /** A problem only a human can fix (missing role, bad template, wrong admin password); never retried. */
  ConfigurationError: 'ConfigurationError',
  /** A manual rotation refused: the credential it would overwrite retired less than minimumOverlapSeconds ago. */
  MinimumOverlap: 'MinimumOverlap',
  /** Issuing the credentials on create failed; the rotation was removed again. */
  IssueFailed: 'IssueFailed',
  /** A manual or incident rotation ran and failed. */
  RotationFailed: 'RotationFailed',
  /** The rotation was deleted before the awaited rotation ran. */
  Deleted: 'Deleted',
  /** Deleting failed (revoking or removing the rows); the rotation stays. */
  DeleteFailed: 'DeleteFailed',
  /** A config patch the stored configuration refused. */
  InvalidConfig: 'InvalidConfig',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** What a configuration error blames: the request field (when one is to blame), a stable code, and the SQL/step to fix it. */
export interface ConfigurationDetails {
  field: string | null;
  code: string;
  fix: string | null;
}

/** When a refused manual rotation would be allowed, and why. */
export interface MinimumOverlapDetails {
  allowedAt: string;
  minimumOverlapSeconds: number;
  retiredAt: string;
}

/** The details each failure type carries (types not listed carry the blamed field, when there is one). */
interface DetailsOf {
  ConfigurationError: ConfigurationDetails;
  MinimumOverlap: MinimumOverlapDetails;
  IssueFailed: { field: string | null };
  InvalidConfig: { field: string | null };
  RotationFailed: undefined;
  Deleted: undefined;
  DeleteFailed: undefined;
}

type FailureOptions<T extends FailureType> = { details: DetailsOf[T]; cause?: Error };

/**
 * A non-retryable ApplicationFailure of one of our types, with its named details; `cause` keeps the failure it
 * reports (an activity's), so that `rootMessage` finds the activity's own words.
 */
export function failure<T extends FailureType>(
  type: T,
  message: string,
  ...[options]: DetailsOf[T] extends undefined ? [] : [FailureOptions<T>]
): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: options ? [options.details] : undefined, cause: options?.cause });
}

/** The error and its causes, outermost first (bounded: a cycle must not hang the caller). */
export function causeChain(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let cur: unknown = err; cur instanceof Error && chain.length < 16 && !chain.includes(cur); cur = cur.cause) chain.push(cur);
  return chain;
}

/** The first failure of `type` in the chain, with its details. */
export function findFailure<T extends FailureType>(err: unknown, type: T): { failure: ApplicationFailure; details: DetailsOf[T] } | null {
  for (const cur of causeChain(err)) {
    if (cur instanceof ApplicationFailure && cur.type === type) return { failure: cur, details: cur.details?.[0] as DetailsOf[T] };
  }
  return null;
}

/** The request field some failure in the chain blames, or null. */
export function blamedField(err: unknown): string | null {
  for (const cur of causeChain(err)) {
    const field = cur instanceof ApplicationFailure ? (cur.details?.[0] as { field?: unknown } | undefined)?.field : undefined;
    if (typeof field === 'string') return field;
  }
  return null;
}

const FIX_LEAD = ' To fix: ';

/** "<message>. To fix: <fix>", with one full stop between them whether or not the message ends with one. */
export function withFix(message: string, fix: string | null | undefined): string {
  if (!fix) return message;
  const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
  return `${sentence}${FIX_LEAD}${fix}`;
}

/**
 * The configuration failure in the chain that knows its fix: its fix (from the details) and its own words without
 * the fix `withFix` appended (so that `withFix(problem, fix)` gives its message back), or null.
 */
export function configurationFix(err: unknown): { problem: string; fix: string } | null {
  const found = findFailure(err, FailureType.ConfigurationError);
  const fix = found?.details?.fix;
  if (!found || !fix) return null;
  const { message } = found.failure;
  const suffix = `${FIX_LEAD}${fix}`;
  return { problem: message.endsWith(suffix) ? message.slice(0, -suffix.length).replace(/\.$/, '') : message, fix };
}

/** The deepest non-empty message: the words of whoever failed first (an activity, a validator), not of the wrappers. */
export function rootMessage(err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  for (const cur of causeChain(err)) if (cur.message) message = cur.message;
  return message;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/**
 * Unreachable or unavailable infrastructure somewhere in the chain: socket errors, PostgreSQL's connection and
 * shutdown classes (08, 57P), gRPC UNAVAILABLE / DEADLINE_EXCEEDED, connect timeouts. Retrying later may help;
 * the input is not to blame.
 */
export function isUnavailable(err: unknown): boolean {
  return causeChain(err).some((cur) => {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08') || code.startsWith('57P'))) return true;
    if (code === 14 /* gRPC UNAVAILABLE */ || code === 4 /* DEADLINE_EXCEEDED */) return true;
    if (/^(TransportError|ServiceError|ConnectionTimeoutError)$/.test(cur.name) && /unavailable|connect|deadline|timed? ?out/i.test(cur.message)) return true;
    return /Connection terminated|connection timeout|timeout expired/i.test(cur.message);
  });
}
