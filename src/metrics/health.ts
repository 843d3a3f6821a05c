import type { ConnectionLike } from '@temporalio/client';
import { redact } from '../domain/errors.js';
import type { Queryable } from '../store/db.js';

/** One readiness condition: resolves when met, throws (with the reason) when not. */
export type ReadinessCheck = () => Promise<void>;

/** How long one check may take before it counts as failed (a probe must answer well within its timeout). */
const CHECK_TIMEOUT_MS = 2_000;

export interface Readiness {
  statusCode: 200 | 503;
  body: { status: 'ready' | 'not ready'; checks: Record<string, { ok: boolean; error?: string }> };
}

function withTimeout(check: ReadinessCheck, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

/** Runs every check at once: 200 when all pass, else 503 naming what is not ready (as Kubernetes probes expect). */
export async function readiness(checks: Record<string, ReadinessCheck>, timeoutMs = CHECK_TIMEOUT_MS): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check, timeoutMs);
        return [name, { ok: true }] as const;
      } catch (err) {
        return [name, { ok: false, error: redact(err instanceof Error ? err.message : String(err)) }] as const;
      }
    }),
  );
  const ready = results.every(([, r]) => r.ok);
  return { statusCode: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) } };
}

/** The control database answers a query. */
export const controlDatabaseCheck = (db: Queryable): ReadinessCheck => async () => {
  await db.query('SELECT 1');
};

/**
 * How long the Temporal check's call may take. Well below CHECK_TIMEOUT_MS: the client's retry interceptor
 * keeps retrying an unavailable server until this deadline, and the check must see that chain end rather than
 * leave a retry pending (which would outlive a connection closed meanwhile).
 */
const TEMPORAL_DEADLINE_MS = 1_000;

/** The Temporal frontend answers (GetSystemInfo, bounded by a deadline rather than the client's retries). */
export const temporalCheck = (connection: () => ConnectionLike): ReadinessCheck => async () => {
  const c = connection();
  await c.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => c.workflowService.getSystemInfo({}));
};
