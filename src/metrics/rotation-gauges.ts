/**
 * Per-rotation gauges, read from the control database's listing state at scrape time (one query per scrape),
 * never from workflow code. Labels: rotation_id, rotation (name), project_id — ids and names only. Bound: one
 * series per rotation for each per-rotation gauge (next rotation only while auto-rotation is on), plus one per
 * status for the count.
 */
import { Gauge, Registry } from 'prom-client';
import { DAY_SECONDS } from '../domain/rotation-rules.js';
import type { RotationStatus } from '../domain/rotation-types.js';
import type { Queryable } from '../store/db.js';

/** One issued rotation as the gauges see it (its listing row). */
export interface RotationGaugeRow {
  id: string;
  name: string;
  projectId: string;
  status: RotationStatus;
  lastRotatedAt: string | null;
  nextRotationAt: string | null;
  rotationIntervalDays: number;
}

const LABELS = ['rotation_id', 'rotation', 'project_id'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

export interface RotationSample {
  labels: Labels;
  /** Seconds since the active credential was published (null: never published). */
  credentialAgeSeconds: number | null;
  /** Seconds until the next automatic rotation, negative when overdue (null: auto-rotation off). */
  nextRotationSeconds: number | null;
  intervalSeconds: number;
  failed: 0 | 1;
}

export const STATUSES: readonly RotationStatus[] = ['pending', 'success', 'failed'];

/** The values the gauges take for these rows at `nowMs`: per-rotation samples and the count per status. */
export function rotationSamples(rows: RotationGaugeRow[], nowMs: number): { samples: RotationSample[]; byStatus: Record<RotationStatus, number> } {
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<RotationStatus, number>;
  const samples = rows.map((r) => {
    byStatus[r.status] += 1;
    return {
      labels: { rotation_id: r.id, rotation: r.name, project_id: r.projectId },
      credentialAgeSeconds: r.lastRotatedAt === null ? null : (nowMs - Date.parse(r.lastRotatedAt)) / 1000,
      nextRotationSeconds: r.nextRotationAt === null ? null : (Date.parse(r.nextRotationAt) - nowMs) / 1000,
      intervalSeconds: r.rotationIntervalDays * DAY_SECONDS,
      failed: r.status === 'failed' ? (1 as const) : (0 as const),
    };
  });
  return { samples, byStatus };
}

async function readRows(db: Queryable): Promise<RotationGaugeRow[]> {
  const { rows } = await db.query(
    `SELECT id, name, project_id, state->>'rotationStatus' AS status, state->>'lastRotatedAt' AS last_rotated_at,
            state->>'nextRotationAt' AS next_rotation_at, (config->>'rotationInterval')::int AS interval_days
     FROM rotations WHERE lifecycle = 'active' AND state IS NOT NULL`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    projectId: r.project_id,
    status: r.status,
    lastRotatedAt: r.last_rotated_at,
    nextRotationAt: r.next_rotation_at,
    rotationIntervalDays: r.interval_days,
  }));
}

/** A load shared by the gauges of one scrape (each gauge's collect asks; the query runs once). */
function sharedLoad(db: Queryable) {
  let current: { at: number; result: Promise<ReturnType<typeof rotationSamples>> } | null = null;
  return () => {
    const now = Date.now();
    if (!current || now - current.at > 1_000) current = { at: now, result: readRows(db).then((rows) => rotationSamples(rows, now)) };
    return current.result;
  };
}

/** A registry of the per-rotation gauges; a scrape fails (500) if the control database does not answer. */
export function rotationGauges(db: Queryable): Registry {
  const registry = new Registry();
  const load = sharedLoad(db);
  const perRotation = (name: string, help: string, value: (s: RotationSample) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      async collect() {
        const { samples } = await load();
        this.reset();
        for (const s of samples) {
          const v = value(s);
          if (v !== null) this.set(s.labels, v);
        }
      },
    });
  perRotation('pg_rotator_credential_age_seconds', 'Seconds since the active credential of the rotation was published.', (s) => s.credentialAgeSeconds);
  perRotation('pg_rotator_next_rotation_seconds', 'Seconds until the next automatic rotation (negative: overdue; absent while auto-rotation is off).', (s) => s.nextRotationSeconds);
  perRotation('pg_rotator_rotation_interval_seconds', 'The rotation interval (rotationInterval days) in seconds.', (s) => s.intervalSeconds);
  perRotation('pg_rotator_rotation_failed', '1 while the rotation is in status failed (its last attempt gave up), else 0.', (s) => s.failed);
  new Gauge({
    name: 'pg_rotator_rotations',
    help: 'Issued rotations by status (pending, success, failed).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const { byStatus } = await load();
      for (const status of STATUSES) this.set({ status }, byStatus[status]);
    },
  });
  return registry;
}
