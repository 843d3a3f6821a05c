import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { redact } from '../domain/errors.js';
import { readiness, type ReadinessCheck } from './health.js';
import { registry as processRegistry } from './metrics.js';

export interface OpsServerOptions {
  host: string;
  port: number;
  /** This server's own metrics (e.g. the per-rotation gauges), served with the process-wide ones. */
  registry: Registry;
  /** Text in Prometheus exposition format appended to /metrics (the Temporal SDK runtime's metrics). */
  extraMetrics?: () => Promise<string>;
  /** With checks, also /healthz and /readyz. */
  readiness?: Record<string, ReadinessCheck>;
}

export interface OpsServer {
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

/** A small HTTP server for Prometheus and Kubernetes probes: /metrics, and /healthz + /readyz when given checks. */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const metrics = Registry.merge([processRegistry, opts.registry]);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const answer = async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'only GET' });
      if (path === '/metrics') {
        const text = (await metrics.metrics()) + (opts.extraMetrics ? await opts.extraMetrics() : '');
        return res.writeHead(200, { 'content-type': metrics.contentType }).end(text);
      }
      if (opts.readiness && path === '/healthz') return json(200, { status: 'ok' });
      if (opts.readiness && path === '/readyz') {
        const r = await readiness(opts.readiness);
        return json(r.statusCode, r.body);
      }
      return json(404, { error: `no route ${path}` });
    };
    answer().catch((err: unknown) => {
      if (!res.headersSent) json(500, { error: redact(err instanceof Error ? err.message : String(err)) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
