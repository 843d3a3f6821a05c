import path from 'node:path';
import { migrate } from '../../src/store/migrate.js';
import { CONTROL_DATABASE, startLocalCluster, type LocalCluster } from './postgres-cluster.js';
import { startTemporalDevServer, type LocalTemporal } from './temporal-server.js';

export interface LocalStackOptions {
  /** Folder for the cluster (`<dir>/pg`), the Temporal database (`<dir>/temporal.db`) and logs. */
  dir: string;
  /** Start from empty PostgreSQL and Temporal state (stopping servers that run on this folder). */
  fresh: boolean;
  temporalPort?: number;
  uiPort?: number;
  /** Let the Temporal dev server outlive this process (see `StartTemporalOptions.keepAlive`). */
  keepAlive?: boolean;
  /** Serve TLS from the local cluster (see `StartClusterOptions.tls`); ignored with `DATABASE_URL`. */
  tls?: boolean;
}

export interface LocalStack {
  /** Control database URL (migrated). */
  databaseUrl: string;
  /** Superuser URL for another database of the same server. */
  adminUrl(database: string): string;
  temporalAddress: string;
  /** Temporal Web UI, when we started the dev server. */
  uiUrl?: string;
  /** The server's statement log (`log_statement = 'all'`), when we started the cluster. */
  pgLogFile?: string;
  /** PEM of the CA that signed the local cluster's server certificate, when it serves TLS. */
  pgCaCert?: string;
  cluster?: LocalCluster;
  temporal?: LocalTemporal;
  /** Stops what this call started (external servers are left alone). */
  stop(): Promise<void>;
}

/**
 * PostgreSQL and Temporal for the dev command and the tests. Honors `DATABASE_URL` (no cluster is started;
 * `adminUrl` swaps the database name in it) and `TEMPORAL_ADDRESS` (no Temporal server is started).
 * Starts both in parallel, then migrates the control database.
 */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const dir = path.resolve(opts.dir);
  const externalDb = process.env.DATABASE_URL || undefined;
  const externalTemporal = process.env.TEMPORAL_ADDRESS || undefined;

  const [pgResult, temporalResult] = await Promise.allSettled([
    externalDb ? Promise.resolve(undefined) : startLocalCluster({ dir: path.join(dir, 'pg'), fresh: opts.fresh, tls: opts.tls }),
    externalTemporal
      ? Promise.resolve(undefined)
      : startTemporalDevServer({
          dbFile: path.join(dir, 'temporal.db'),
          logFile: path.join(dir, 'temporal.log'),
          port: opts.temporalPort,
          uiPort: opts.uiPort,
          fresh: opts.fresh,
          keepAlive: opts.keepAlive,
        }),
  ]);
  const cluster = pgResult.status === 'fulfilled' ? pgResult.value : undefined;
  const temporal = temporalResult.status === 'fulfilled' ? temporalResult.value : undefined;

  const stop = async (): Promise<void> => {
    const results = await Promise.allSettled([temporal?.stop(), cluster?.stop()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  try {
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (temporalResult.status === 'rejected') throw temporalResult.reason;

    const databaseUrl = externalDb ?? cluster!.url(CONTROL_DATABASE);
    const adminUrl = cluster ? (db: string) => cluster.url(db) : (db: string) => withDatabase(databaseUrl, db);
    await migrate(databaseUrl);

    return {
      databaseUrl,
      adminUrl,
      temporalAddress: externalTemporal ?? temporal!.address,
      uiUrl: temporal?.uiUrl,
      pgLogFile: cluster?.logFile,
      pgCaCert: cluster?.tls?.caCertPem,
      cluster,
      temporal,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** `url` with its database (path) replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
