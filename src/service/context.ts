import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { type RotatorConfig, requireDatabaseUrl } from '../config.js';
import { type ControlDb, createControlPool } from '../store/db.js';
import { requireKeyRing } from '../store/key-ring.js';
import { SecretBox } from '../store/secret-box.js';
import { TargetSessions } from '../target/sessions.js';

/** What the CLI and the API need to act on rotations: the control database, target sessions and a Temporal client. */
export interface ServiceContext {
  db: ControlDb;
  /** This process's connections to target clusters (drift checks, connection proofs), capped per cluster. */
  target: TargetSessions;
  /**
   * Connected on first use, not when the context opens: what needs only the control database (listing
   * rotations, reading secrets, projects, tokens, audit) works, and answers at once, while Temporal is down.
   */
  readonly temporal: Client;
  close(): Promise<void>;
}

export interface ServiceContextOptions {
  /**
   * Attempts per Temporal call on UNAVAILABLE and the like (the SDK's default is 10, ~20 s of backoff: right
   * for a server riding out a restart, too long for a person at a terminal waiting to hear Temporal is down).
   */
  temporalAttempts?: number;
}

export async function openServiceContext(config: RotatorConfig, options: ServiceContextOptions = {}): Promise<ServiceContext> {
  const box = new SecretBox(requireKeyRing(config.keyRing));
  const pool = createControlPool(requireDatabaseUrl(config), 4);
  const interceptors = options.temporalAttempts === undefined ? undefined : [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: options.temporalAttempts }))];
  let connection: Connection | undefined;
  let temporal: Client | undefined;
  return {
    db: { pool, box },
    target: new TargetSessions(config.targetLimits),
    get temporal() {
      // A lazy connection dials on its first call; a call fails as UNAVAILABLE (after the retries) while the server is down.
      connection ??= Connection.lazy({ ...config.temporal.connection, connectTimeout: '10s', interceptors });
      temporal ??= new Client({ connection, namespace: config.temporal.namespace });
      return temporal;
    },
    async close() {
      await connection?.close();
      await pool.end();
    },
  };
}
