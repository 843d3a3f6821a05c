import type pg from 'pg';
import type { TargetConnection } from '../store/connections.js';

export interface TargetLimits {
  /**
   * Connections one process opens to one target cluster at most (admin work and login checks together), so a
   * burst of due rotations cannot exhaust its max_connections. A fleet of W workers opens at most W × poolMax.
   */
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

/** How pg-rotator's sessions show in the target's pg_stat_activity. */
export const APPLICATION_NAME = 'pg-rotator';

function tlsOptions(c: TargetConnection): pg.ClientConfig['ssl'] {
  if (!c.sslEnabled) return false;
  return { rejectUnauthorized: c.sslRejectUnauthorized, ...(c.sslCertificate ? { ca: c.sslCertificate } : {}) };
}

/** Settings of every connection to a target: admin sessions and the login checks that run as a rotated role. */
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
    application_name: APPLICATION_NAME,
  };
}
