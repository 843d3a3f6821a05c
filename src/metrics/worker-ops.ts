import { Gauge } from 'prom-client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Queryable } from '../store/db.js';
import { controlDatabaseCheck, temporalCheck } from './health.js';
import { startOpsServer, type OpsServer } from './ops-server.js';
import { rotationGauges } from './rotation-gauges.js';
import type { TemporalRuntimeMetrics } from './temporal-runtime.js';

export interface WorkerOpsDeps {
  listen: { host: string; port: number };
  db: Queryable;
  connection: NativeConnection;
  worker: Worker;
  temporalMetrics?: TemporalRuntimeMetrics;
}

/**
 * The worker's /metrics, /healthz and /readyz. Ready: the control database answers, Temporal answers, and the
 * Worker is RUNNING (polling its task queue).
 */
export function startWorkerOps({ listen, db, connection, worker, temporalMetrics }: WorkerOpsDeps): Promise<OpsServer> {
  const registry = rotationGauges(db);
  new Gauge({
    name: 'pg_rotator_worker_polling',
    help: '1 while this worker is RUNNING (polling the pg-rotation task queue), else 0.',
    registers: [registry],
    collect() {
      this.set(worker.getState() === 'RUNNING' ? 1 : 0);
    },
  });
  return startOpsServer({
    ...listen,
    registry,
    extraMetrics: temporalMetrics?.text,
    readiness: {
      controlDatabase: controlDatabaseCheck(db),
      temporal: temporalCheck(() => connection),
      worker: async () => {
        const state = worker.getState();
        if (state !== 'RUNNING') throw new Error(`worker is ${state}, not RUNNING`);
      },
    },
  });
}
