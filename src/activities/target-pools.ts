import pg from 'pg';
import type { TargetConnection } from '../store/connections.js';

export interface TargetLimits {
  /** Admin connections per target, so a burst of due rotations cannot exhaust its max_connections. */
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

export const DEFAULT_TARGET_LIMITS: TargetLimits = {
  poolMax: 5,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 15_000,
  lockTimeoutMs: 5_000,
};

export function tlsOptions(c: TargetConnection): pg.ClientConfig['ssl'] {
  if (!c.sslEnabled) return false;
  return { rejectUnauthorized: c.sslRejectUnauthorized, ...(c.sslCertificate ? { ca: c.sslCertificate } : {}) };
}

/** Settings shared by admin pools and the login checks that run as the rotated role. */
export function clientConfig(c: TargetConnection, user: string, password: string, limits: TargetLimits): pg.ClientConfig {
  return {
    host: c.host,
    port: c.port,
    database: c.database,
    user,
    password,
    ssl: tlsOptions(c),
    connectionTimeoutMillis: limits.connectTimeoutMs,
    statement_timeout: limits.statementTimeoutMs,
    lock_timeout: limits.lockTimeoutMs,
    query_timeout: limits.statementTimeoutMs + 5_000,
    application_name: 'pg-rotator',
  };
}

/** One capped admin pool per target connection; rebuilt when the connection's settings change. */
export class TargetPools {
  private readonly pools = new Map<string, { version: string; pool: pg.Pool }>();

  constructor(private readonly limits: TargetLimits) {}

  get(c: TargetConnection, adminPassword: string): pg.Pool {
    const version = c.updatedAt;
    const existing = this.pools.get(c.id);
    if (existing && existing.version === version) return existing.pool;
    if (existing) void existing.pool.end().catch(() => {});
    const pool = new pg.Pool({ ...clientConfig(c, c.username, adminPassword, this.limits), max: this.limits.poolMax, idleTimeoutMillis: 30_000 });
    pool.on('error', () => {}); // an idle client losing the server must not crash the worker
    this.pools.set(c.id, { version, pool });
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.pool.end().catch(() => {})));
    this.pools.clear();
  }
}
