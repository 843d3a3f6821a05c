import pg from 'pg';
import type { SecretBox } from './secret-box.js';

/** The control database and the key that opens the secret material stored in it (store functions take the two apart). */
export interface ControlDb {
  pool: pg.Pool;
  box: SecretBox;
}

export function createControlPool(databaseUrl: string, max = 10, connectionTimeoutMillis = 10_000): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis });
  // An idle client losing its server (e.g. a restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * What store functions query through. A caller that holds a transaction passes its client: a store function
 * never takes a second connection from the pool, which under load waits for connections that transactions
 * like the caller's hold (the pool deadlocks on itself).
 */
export type Queryable = pg.Pool | pg.PoolClient;

export function isUniqueViolation(err: unknown): err is { code: string; constraint?: string } {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}
