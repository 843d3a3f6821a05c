import { createServer } from 'node:net';
import type { TelemetryOptions } from '@temporalio/worker';

/**
 * The Temporal SDK runtime's own metrics (workflow and activity task latencies, pollers, slots, sticky cache, …).
 * The SDK's Prometheus exporter serves them on an address of its own; the worker binds it to a free loopback port
 * and appends its text to its own /metrics, so Prometheus scrapes one endpoint per process.
 */
export interface TemporalRuntimeMetrics {
  /** For Runtime.install. */
  telemetryOptions: TelemetryOptions;
  /** The SDK's current metrics text, '' when its exporter does not answer (a scrape still gets pg-rotator's). */
  text(): Promise<string>;
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function temporalRuntimeMetrics(): Promise<TemporalRuntimeMetrics> {
  const bindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
  return {
    telemetryOptions: {
      // Prometheus conventions: counters end in _total, durations are in seconds.
      metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } },
    },
    async text() {
      try {
        const res = await fetch(`http://${bindAddress}/metrics`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? await res.text() : '';
      } catch {
        return '';
      }
    },
  };
}
