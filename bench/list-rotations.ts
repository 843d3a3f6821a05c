/**
 * Listing a project with 1,000 rotations through the REST API, next to getting one rotation, on a fresh local
 * stack. Prints p50/p95 of both, their ratio, and the number of Temporal calls made during the list requests
 * (the goal: p50 under 300 ms, and 0 Temporal calls — the listing must not ask each workflow for its state).
 *
 *   npm run bench:list        (ROTATIONS=1000 LIST_REQUESTS=30 by default)
 *
 * Requests go over a real socket (the server listens on 127.0.0.1, the client is Node's fetch with keep-alive),
 * so the times include HTTP, authentication, validation, the database query and JSON serialisation.
 */
import { randomBytes } from 'node:crypto';
import { benchTarget, openBenchStack, percentile } from './bench-stack.js';
import { seedRotations } from './seed-rotations.js';
import { buildApi } from '../src/api/server.js';
import { createRotationSchema } from '../src/domain/rotation-schemas.js';
import type { openServiceContext } from '../src/service/context.js';
import { createRotation, deleteRotation } from '../src/service/rotations.js';

const ROTATIONS = Number(process.env.ROTATIONS ?? 1000);
const REQUESTS = Number(process.env.LIST_REQUESTS ?? 30);
const WARMUP = 3;
const GOAL_MS = 300;
const BASE = '/api/v2/secret-rotations/postgres-credentials';

/**
 * Counts every RPC the service context's Temporal client makes (workflow and operator services), plus
 * `workflow.getHandle` calls, so that "no Temporal call per rotation" is measured, not assumed.
 */
function countTemporalCalls(client: Awaited<ReturnType<typeof openServiceContext>>['temporal']) {
  const counter = { rpc: 0, handles: 0 };
  const wrap = (service: object) => {
    const names = new Set<string>();
    for (let o: object | null = service; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
      for (const n of Object.getOwnPropertyNames(o)) names.add(n);
    }
    const s = service as Record<string, unknown>;
    for (const name of names) {
      const fn = s[name];
      if (name === 'constructor' || typeof fn !== 'function') continue;
      s[name] = (...args: unknown[]) => {
        counter.rpc += 1;
        return (fn as (...a: unknown[]) => unknown).apply(service, args);
      };
    }
  };
  wrap(client.connection.workflowService);
  wrap(client.connection.operatorService);
  const getHandle = client.workflow.getHandle.bind(client.workflow);
  client.workflow.getHandle = ((...args: Parameters<typeof getHandle>) => {
    counter.handles += 1;
    return getHandle(...args);
  }) as typeof client.workflow.getHandle;
  return counter;
}

async function main(): Promise<void> {
  const { stack, ctx, close } = await openBenchStack('bench-list');
  const adminToken = randomBytes(32).toString('base64url');
  const app = await buildApi({ ctx, adminToken });
  let realId = '';
  try {
    // Target for the one real rotation: two roles and a CREATEROLE admin on database "bench".
    const { projectId, connection } = await benchTarget({ stack, ctx }, 'bench-list', ['bench_u1', 'bench_u2']);
    const body = (name: string, u1: string, u2: string, prefix: string) => ({
      name,
      projectId,
      description: 'bench rotation',
      connectionId: connection.id,
      environment: 'dev',
      secretPath: '/',
      rotationInterval: 30,
      rotateAtUtc: { hours: 2, minutes: 30 },
      parameters: { username1: u1, username2: u2 },
      secretsMapping: { username: `${prefix}_USERNAME`, password: `${prefix}_PASSWORD` },
    });

    // 1,000 rotations, cheaply (see seed-rotations.ts for why rows are enough for the listing).
    const t0 = performance.now();
    await seedRotations(ctx, { projectId, connection, count: ROTATIONS });
    const insertMs = performance.now() - t0;

    // One real rotation, issued by the worker: the single get asks its workflow (a Temporal query).
    const t1 = performance.now();
    realId = (await createRotation(ctx, createRotationSchema.parse(body('bench-real', 'bench_u1', 'bench_u2', 'REAL')), 'bench')).id;
    const createMs = performance.now() - t1;

    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const origin = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${adminToken}` };
    const counter = countTemporalCalls(ctx.temporal);

    let listBytes = 0;
    let listed = 0;
    const list = async () => {
      const res = await fetch(`${origin}${BASE}?projectId=${projectId}`, { headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`list: ${res.status} ${text.slice(0, 200)}`);
      listBytes = text.length;
      listed = (JSON.parse(text) as { secretRotations: unknown[] }).secretRotations.length;
    };
    const get = async () => {
      const res = await fetch(`${origin}${BASE}/${realId}`, { headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`get: ${res.status} ${text.slice(0, 200)}`);
    };
    const timed = async (fn: () => Promise<void>) => {
      const s = performance.now();
      await fn();
      return performance.now() - s;
    };

    for (let i = 0; i < WARMUP; i++) {
      await list();
      await get();
    }
    const l: number[] = [];
    const g: number[] = [];
    let listRpc = 0;
    let listHandles = 0;
    let getRpc = 0;
    // Interleaved, so drift on the machine affects both sides alike; Temporal calls counted per side.
    for (let i = 0; i < REQUESTS; i++) {
      let rpc = counter.rpc;
      let handles = counter.handles;
      l.push(await timed(list));
      listRpc += counter.rpc - rpc;
      listHandles += counter.handles - handles;
      rpc = counter.rpc;
      handles = counter.handles;
      g.push(await timed(get));
      getRpc += counter.rpc - rpc;
    }
    l.sort((a, b) => a - b);
    g.sort((a, b) => a - b);
    const row = (name: string, xs: number[]) =>
      `${name.padEnd(40)} p50 ${percentile(xs, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(xs, 95).toFixed(1).padStart(7)} ms   max ${xs.at(-1)!.toFixed(1).padStart(7)} ms`;
    console.log(`\nsetup: ${ROTATIONS} rotation rows + state snapshots in ${insertMs.toFixed(0)} ms; 1 real rotation (issued by the worker) in ${createMs.toFixed(0)} ms`);
    console.log(`${REQUESTS} requests each (after ${WARMUP} warm-up), interleaved, over a real socket (fetch → 127.0.0.1)`);
    console.log(row(`GET ?projectId= (${listed} rotations, ${(listBytes / 1024).toFixed(0)} KiB)`, l));
    console.log(row('GET /:rotationId (the real rotation)', g));
    console.log(`ratio list/get: p50 ${(percentile(l, 50) / percentile(g, 50)).toFixed(2)}x   p95 ${(percentile(l, 95) / percentile(g, 95)).toFixed(2)}x`);
    console.log(
      `Temporal calls during the ${REQUESTS} list requests: ${listRpc} RPCs, ${listHandles} workflow handles ` +
        `(during the ${REQUESTS} gets: ${getRpc} RPCs, i.e. ${(getRpc / REQUESTS).toFixed(1)} per get — the counter works)`,
    );
    const met = percentile(l, 50) < GOAL_MS && listRpc === 0 && listHandles === 0 && listed === ROTATIONS + 1;
    console.log(`goal (list p50 < ${GOAL_MS} ms, 0 Temporal calls, all ${ROTATIONS + 1} listed): ${met ? 'met' : 'NOT met'}`);
    if (!met) process.exitCode = 1;
  } finally {
    if (realId) await deleteRotation(ctx, realId, { deleteSecrets: true, revokeGeneratedCredentials: false }, 'bench').catch(() => {});
    await app.close().catch(() => {});
    await close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
