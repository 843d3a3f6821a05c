/**
 * API bearer tokens: creation (the token is returned once, only its SHA-256 is stored), listing, revocation,
 * and the two checks every API request goes through: `authenticate` (who is calling) and `authorize` (may
 * they do this to this project).
 *
 * Tokens are 256-bit random values, so a fast hash is enough: nobody can guess a preimage, and a lookup by
 * hash reveals nothing about the secret through its timing (the attacker does not control the hash's bytes).
 * The one secret we compare directly, ROTATOR_ADMIN_TOKEN, is compared as SHA-256 digests with
 * `timingSafeEqual`, so neither its content nor its length leaks.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { type CreateTokenInput, isTokenAction, TOKEN_ACTIONS, type TokenAction } from '../domain/token-schemas.js';
import { recordAudit } from '../store/audit.js';
import type { Queryable } from '../store/db.js';
import {
  findActiveTokenByHash,
  getTokenRecord,
  insertToken,
  listTokenRecords,
  markTokenRevoked,
  type TokenRecord,
  touchToken,
} from '../store/tokens.js';
import type { ServiceContext } from './context.js';
import { fieldError } from './errors.js';
import { requireProject } from './projects.js';

export { TOKEN_ACTIONS, type TokenAction };

/** A token as listed: never the token, never its hash. */
export type TokenView = TokenRecord;

export interface CreatedToken {
  /** The bearer token. Shown once: only its hash is stored. */
  token: string;
  id: string;
  name: string;
  projectId: string;
  actions: TokenAction[];
  createdAt: string;
}

/** Who is calling. */
export interface Principal {
  /** null = the admin token from ROTATOR_ADMIN_TOKEN. */
  tokenId: string | null;
  name: string;
  /** null = all projects. */
  projectId: string | null;
  actions: ReadonlySet<TokenAction>;
}

/** 401 (no or bad credentials) or 403 (valid credentials, outside their scope). Messages never hold a token. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

/** ROTATOR_ADMIN_TOKEN is set but unusable: the server is misconfigured (not the caller's fault). */
export class AdminTokenConfigError extends Error {
  override readonly name = 'AdminTokenConfigError';
}

export const TOKEN_PREFIX = 'pgr_';
export const ADMIN_TOKEN_MIN_LENGTH = 32;
/** last_used_at is written at most this often per token (a write per request would be a hot row update). */
export const TOKEN_TOUCH_INTERVAL_SECONDS = 60;
/** Longer Authorization values are refused unread (no real token is anywhere near this). */
const MAX_TOKEN_LENGTH = 1024;
const TOKEN_FORMAT = /^pgr_[A-Za-z0-9_-]{43}$/;
/** Visible ASCII: what can be sent as one bearer token in a header. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

// ---------------------------------------------------------------------------------------------------------
// Management (CLI; the API may expose it to admin tokens)

export async function createToken(ctx: ServiceContext, input: CreateTokenInput, actor: string): Promise<CreatedToken> {
  const project = await requireProject(ctx.db.pool, input.projectId);
  const token = generateToken();
  const record = await insertToken(ctx.db.pool, {
    id: randomUUID(),
    name: input.name,
    projectId: project.id,
    actions: input.actions,
    tokenHash: hashToken(token),
  });
  await recordAudit(ctx.db.pool, {
    actor,
    action: 'token.created',
    projectId: project.id,
    details: { tokenId: record.id, name: record.name, actions: record.actions },
  });
  return { token, id: record.id, name: record.name, projectId: project.id, actions: input.actions, createdAt: record.createdAt };
}

/** All tokens (revoked ones too, with revokedAt), or those of one project (a UUID: the caller checked it). */
export async function listTokens(ctx: ServiceContext, projectId?: string): Promise<TokenView[]> {
  return listTokenRecords(ctx.db.pool, projectId);
}

/** Revokes a token: it stops authenticating at once. Revoking a revoked token returns it unchanged. */
export async function revokeToken(ctx: ServiceContext, id: string, actor: string): Promise<TokenView> {
  const notFound = () => fieldError('not-found', 'tokenId', `must name an existing token: ${id} not found`);
  if (!isUuid(id)) throw notFound();
  const revoked = await markTokenRevoked(ctx.db.pool, id);
  if (!revoked) {
    const existing = await getTokenRecord(ctx.db.pool, id);
    if (!existing) throw notFound();
    return existing;
  }
  await recordAudit(ctx.db.pool, {
    actor,
    action: 'token.revoked',
    projectId: revoked.projectId,
    details: { tokenId: revoked.id, name: revoked.name },
  });
  return revoked;
}

// ---------------------------------------------------------------------------------------------------------
// Authentication and authorization

/**
 * The token of an `Authorization: Bearer <token>` header: case-insensitive scheme, one or more spaces, exactly
 * one token of visible ASCII (surrounding spaces/tabs are ignored, as HTTP does). null for anything else.
 */
export function parseBearer(header: string | undefined): string | null {
  if (typeof header !== 'string' || header.length > MAX_TOKEN_LENGTH + 16) return null;
  const m = /^[ \t]*bearer +([\x21-\x7e]+)[ \t]*$/i.exec(header);
  return m?.[1] ?? null;
}

/**
 * ROTATOR_ADMIN_TOKEN as configured: undefined when unset or empty; a configuration error when too short or
 * not sendable as a bearer token. Call it at start-up to fail early; `authenticate` calls it on every request.
 */
export function checkAdminToken(adminToken: string | undefined): string | undefined {
  if (adminToken === undefined || adminToken === '') return undefined;
  if (adminToken.length < ADMIN_TOKEN_MIN_LENGTH) {
    throw new AdminTokenConfigError(
      `ROTATOR_ADMIN_TOKEN must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters (it has ${adminToken.length}); ` +
        'generate one with `openssl rand -base64 32`, or unset it',
    );
  }
  if (!VISIBLE_ASCII.test(adminToken) || adminToken.length > MAX_TOKEN_LENGTH) {
    throw new AdminTokenConfigError(
      `ROTATOR_ADMIN_TOKEN must be visible ASCII without spaces and at most ${MAX_TOKEN_LENGTH} characters (it is sent as a bearer token)`,
    );
  }
  return adminToken;
}

/** Constant-time equality of two strings of any lengths: their SHA-256 digests are compared. */
export function adminTokenMatches(given: string, adminToken: string): boolean {
  return timingSafeEqual(hashToken(given), hashToken(adminToken));
}

export function adminPrincipal(): Principal {
  return { tokenId: null, name: 'admin (ROTATOR_ADMIN_TOKEN)', projectId: null, actions: new Set(TOKEN_ACTIONS) };
}

/**
 * Who sent this Authorization header: the admin (ROTATOR_ADMIN_TOKEN), a stored token that is not revoked, or
 * null (missing, malformed, unknown or revoked). Throws AdminTokenConfigError when ROTATOR_ADMIN_TOKEN is set
 * but too weak, whatever the header; database errors propagate.
 *
 * last_used_at is written at most once a minute per token (decided from the row just read, so most requests
 * cost one indexed SELECT and no write); a failure to write it does not fail the request.
 */
export async function authenticate(db: Queryable, authorizationHeader: string | undefined, adminToken: string | undefined): Promise<Principal | null> {
  const admin = checkAdminToken(adminToken);
  const token = parseBearer(authorizationHeader);
  if (token === null) return null;
  // Compared whenever configured, so every token pays the same comparison.
  if (admin !== undefined && adminTokenMatches(token, admin)) return adminPrincipal();
  if (!TOKEN_FORMAT.test(token)) return null; // not one we issued: no database round trip
  const record = await findActiveTokenByHash(db, hashToken(token));
  if (!record) return null;
  const lastUsed = record.lastUsedAt ? Date.parse(record.lastUsedAt) : 0;
  if (Date.now() - lastUsed >= TOKEN_TOUCH_INTERVAL_SECONDS * 1000) {
    await touchToken(db, record.id, TOKEN_TOUCH_INTERVAL_SECONDS).catch(() => {});
  }
  return {
    tokenId: record.id,
    name: record.name,
    projectId: record.projectId,
    // An action name this version does not know grants nothing.
    actions: new Set(record.actions.filter(isTokenAction)),
  };
}

/**
 * Throws unless the principal may do `action` to `projectId`. `projectId` null means the request names no
 * project (e.g. listing every project): only an all-projects principal (the admin) may do that.
 * A null principal (authenticate found none) is a 401.
 */
export function authorize(principal: Principal | null, action: TokenAction, projectId: string | null): void {
  if (!principal) throw new AuthError(401, 'missing or invalid bearer token (Authorization: Bearer <token>)');
  if (!principal.actions.has(action)) {
    throw new AuthError(403, `token "${principal.name}" may not ${action} (it may: ${[...principal.actions].join(', ') || 'nothing'})`);
  }
  if (principal.projectId === null) return;
  if (projectId === null) {
    throw new AuthError(403, `token "${principal.name}" is scoped to project ${principal.projectId}; this request needs an all-projects token`);
  }
  if (projectId.toLowerCase() !== principal.projectId.toLowerCase()) {
    throw new AuthError(403, `token "${principal.name}" is scoped to project ${principal.projectId}, not ${projectId}`);
  }
}
