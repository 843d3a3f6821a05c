/**
 * The console's one way to the REST API: same origin, the token from sessionStorage as a Bearer header (never in
 * a URL, never logged), errors as ApiError with the API's field details.
 */
import type { z } from 'zod';
import type { connectionSchema, errorSchema, projectSchema } from '../../src/api/schemas.js';
import type { auditEventSchema } from '../../src/domain/audit-schemas.js';
import type { errorDetailSchema } from '../../src/domain/rotation-schemas.js';
import type { RotationCheck, RotationView } from '../../src/domain/rotation-view-schemas.js';
import type { secretVersionSchema } from '../../src/domain/secret-schemas.js';
import type { TokenAction, tokenInfoSchema } from '../../src/domain/token-schemas.js';

export type { RotationCheck, RotationView, TokenAction };
export type Connection = z.output<typeof connectionSchema>;
export type Project = z.output<typeof projectSchema>;
export type ErrorDetail = z.output<typeof errorDetailSchema>;
type ErrorBody = z.output<typeof errorSchema>;
export type TokenInfo = z.output<typeof tokenInfoSchema>;
export type AuditEvent = z.output<typeof auditEventSchema>;
export type SecretVersion = z.output<typeof secretVersionSchema>;
export interface TemporalUi {
  url: string;
  namespace: string;
  /** A rotation's workflow page, with `{rotationId}` to replace. */
  workflowUrl: string;
}

export const ROT = '/api/v2/secret-rotations/postgres-credentials';
export const CONN = '/api/v1/app-connections/postgres';

const TOKEN_KEY = 'pg-rotator.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  save: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** The SQL or step that fixes a configuration problem, when the API knows it (the message ends with it too). */
    readonly fix: string | null = null,
  ) {
    super(message);
  }

  /** The rule broken for `field` (e.g. `parameters.username2`), if the API named it. */
  ruleFor(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.rule;
  }
}

/** Listeners told when the API refuses the token (401): the app signs out. */
const unauthorized = new Set<() => void>();
export const onUnauthorized = (fn: () => void) => {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
};

type Query = Record<string, string | number | boolean | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, token = session.token()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'the server cannot be reached; check that pg-rotator’s API is running');
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!res.ok) {
    const e = (json ?? {}) as Partial<ErrorBody>;
    const err = new ApiError(res.status, e.message ?? `${res.status} ${res.statusText}`, e.details ?? [], e.fix ?? null);
    if (res.status === 401 && token === session.token()) for (const fn of unauthorized) fn();
    throw err;
  }
  return json as T;
}

/**
 * A failed rotation's lastRotationMessage ends with "To fix: <SQL or step>" when it was a configuration problem
 * (see withFix in src/domain/failures.ts); the rotation's state has no fix of its own. (API errors carry `fix`.)
 */
export function splitFix(message: string): { message: string; fix: string | null } {
  const at = message.indexOf(' To fix: ');
  return at < 0 ? { message, fix: null } : { message: message.slice(0, at), fix: message.slice(at + ' To fix: '.length) };
}
