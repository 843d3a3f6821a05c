/**
 * API bearer tokens. Only `sha256(token)` is stored (bytea); no function here takes or returns a token, and no
 * query selects the hash back out.
 */
import type { Queryable } from './db.js';

export interface TokenRecord {
  id: string;
  name: string;
  /** null = every project. */
  projectId: string | null;
  actions: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const COLUMNS = 'id, name, project_id, actions, created_at, last_used_at, revoked_at';

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);

function fromRow(r: Record<string, unknown>): TokenRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    projectId: (r.project_id as string | null) ?? null,
    actions: r.actions as string[],
    createdAt: iso(r.created_at)!,
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
  };
}

export async function insertToken(
  db: Queryable,
  input: { id: string; name: string; projectId: string | null; actions: readonly string[]; tokenHash: Buffer },
): Promise<TokenRecord> {
  const { rows } = await db.query(
    `INSERT INTO api_tokens (id, name, project_id, actions, token_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [input.id, input.name, input.projectId, [...input.actions], input.tokenHash],
  );
  return fromRow(rows[0]);
}

/** The token with this hash, unless it was revoked. */
export async function findActiveTokenByHash(db: Queryable, tokenHash: Buffer): Promise<TokenRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [tokenHash]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function getTokenRecord(db: Queryable, id: string): Promise<TokenRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM api_tokens WHERE id = $1`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** All tokens (revoked ones too), or those of one project; oldest first. */
export async function listTokenRecords(db: Queryable, projectId?: string): Promise<TokenRecord[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM api_tokens WHERE ($1::uuid IS NULL OR project_id = $1) ORDER BY created_at, name, id`,
    [projectId ?? null],
  );
  return rows.map(fromRow);
}

/** Sets revoked_at; null when there is no such token or it was revoked already. */
export async function markTokenRevoked(db: Queryable, id: string): Promise<TokenRecord | null> {
  const { rows } = await db.query(
    `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Sets last_used_at to now unless it is already more recent than `minIntervalSeconds` ago (no write then). */
export async function touchToken(db: Queryable, id: string, minIntervalSeconds: number): Promise<void> {
  await db.query(
    `UPDATE api_tokens SET last_used_at = now()
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
    [id, minIntervalSeconds],
  );
}
