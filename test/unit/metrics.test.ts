import { ApplicationFailure } from '@temporalio/common';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigurationError } from '../../src/domain/errors.js';
import { FailureType } from '../../src/domain/failures.js';
import { initialRotationState, type RotationState } from '../../src/domain/rotation-types.js';
import { readiness } from '../../src/metrics/health.js';
import { failureReason, rotationOutcome, stepLabel, STEPS } from '../../src/metrics/metrics.js';
import { startOpsServer } from '../../src/metrics/ops-server.js';
import { type RotationGaugeRow, rotationSamples } from '../../src/metrics/rotation-gauges.js';

const T0 = '2025-01-01T00:00:00.000Z';
const state = (changes: Partial<RotationState>): RotationState => ({ ...initialRotationState(T0), ...changes });

describe('rotation outcome (what a state write means for the counters)', () => {
  const attempted = '2025-01-02T00:00:00.000Z';
  const success = state({ rotationStatus: 'success', lastRotationAttemptedAt: attempted, lastRotatedAt: '2025-01-02T00:00:01.500Z', activeIndex: 0 });
  const failed = state({ rotationStatus: 'failed', lastRotationAttemptedAt: attempted, lastFailedAt: '2025-01-02T00:01:00.000Z', activeIndex: 0 });

  it.each([
    ['issue (no stored state before)', null, success, { outcome: 'success', durationSeconds: 1.5 }],
    ['a new publish', state({ rotationStatus: 'success', lastRotatedAt: T0 }), success, { outcome: 'success', durationSeconds: 1.5 }],
    ['a retried write of the same publish', success, success, null],
    ['a new failure', success, failed, { outcome: 'failure', durationSeconds: 60 }],
    ['a retried write of the same failure', failed, failed, null],
    ['a recovery', failed, { ...success, lastRotatedAt: '2025-01-02T00:00:02.000Z' }, { outcome: 'success', durationSeconds: 2 }],
    ['a config change (nothing ended)', success, { ...success, nextRotationAt: '2025-02-01T00:00:00.000Z' }, null],
    ['still pending', null, state({}), null],
  ] as const)('%s', (_what, before, after, expected) => {
    expect(rotationOutcome(before, after)).toEqual(expected);
  });
});

describe('failure labels are bounded', () => {
  it.each([
    ['a configuration error', new ConfigurationError('ROLE_MISSING', 'role "x" does not exist'), FailureType.ConfigurationError],
    ['a configuration failure from Temporal', ApplicationFailure.create({ type: FailureType.ConfigurationError, message: 'm' }), FailureType.ConfigurationError],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'Unavailable'],
    ['a server shutting down', Object.assign(new Error('terminating connection'), { code: '57P01' }), 'Unavailable'],
    ['anything else', new Error('deadlock detected'), 'Other'],
    ['not an error', 'a string', 'Other'],
  ])('reason of %s: %s', (_what, err, reason) => {
    expect(failureReason(err)).toBe(reason);
  });

  it('a step is an activity name or "other"', () => {
    for (const step of STEPS) expect(stepLabel(step)).toBe(step);
    expect(stepLabel(undefined)).toBe('other');
    expect(stepLabel('pg-rotation-3f0c…')).toBe('other');
  });
});

describe('per-rotation gauges', () => {
  const row = (id: string, changes: Partial<RotationGaugeRow>): RotationGaugeRow => ({
    id,
    name: `rot-${id}`,
    projectId: 'p1',
    status: 'success',
    lastRotatedAt: '2025-01-01T00:00:00.000Z',
    nextRotationAt: '2025-01-31T00:00:00.000Z',
    rotationIntervalDays: 30,
    ...changes,
  });
  const now = Date.parse('2025-01-02T00:00:00.000Z');

  it('one sample per rotation, labelled with its id, name and project only; counts per status', () => {
    const { samples, byStatus } = rotationSamples([row('a', {}), row('b', { status: 'failed', nextRotationAt: null }), row('c', { status: 'failed' })], now);
    expect(samples.map((s) => Object.keys(s.labels).sort())).toEqual(Array(3).fill(['project_id', 'rotation', 'rotation_id']));
    expect(samples[0]).toEqual({
      labels: { rotation_id: 'a', rotation: 'rot-a', project_id: 'p1' },
      credentialAgeSeconds: 86_400,
      nextRotationSeconds: 29 * 86_400,
      intervalSeconds: 30 * 86_400,
      failed: 0,
    });
    expect(samples[1]).toMatchObject({ nextRotationSeconds: null, failed: 1 });
    expect(byStatus).toEqual({ pending: 0, success: 1, failed: 2 });
  });

  it('an overdue rotation has a negative time until its next rotation', () => {
    expect(rotationSamples([row('a', { nextRotationAt: '2025-01-01T23:00:00.000Z' })], now).samples[0]!.nextRotationSeconds).toBe(-3_600);
  });
});

describe('metrics settings', () => {
  it('off unless ROTATOR_METRICS_PORT is set; host 127.0.0.1 by default', () => {
    expect(loadConfig({}).metrics).toBeNull();
    expect(loadConfig({ ROTATOR_METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ ROTATOR_METRICS_PORT: '9464', ROTATOR_METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it.each(['0', '65536', '94.64', 'ninety', ''])('ROTATOR_METRICS_PORT=%j is refused, naming the variable and the rule', (value) => {
    expect(() => loadConfig({ ROTATOR_METRICS_PORT: value })).toThrow('ROTATOR_METRICS_PORT: must be a port number (an integer 1-65535)');
  });

  it('an empty ROTATOR_METRICS_HOST is refused', () => {
    expect(() => loadConfig({ ROTATOR_METRICS_PORT: '9464', ROTATOR_METRICS_HOST: '' })).toThrow('ROTATOR_METRICS_HOST');
  });
});

describe('readiness', () => {
  it('200 when every check passes; 503 naming each failed or silent check, its error redacted', async () => {
    expect(await readiness({ a: async () => {} })).toEqual({ statusCode: 200, body: { status: 'ready', checks: { a: { ok: true } } } });
    const r = await readiness(
      {
        db: async () => {
          throw new Error('connect to postgres://rotator:hunter2hunter2@db:5432/rotator refused');
        },
        temporal: () => new Promise(() => {}),
        fine: async () => {},
      },
      50,
    );
    expect(r.statusCode).toBe(503);
    expect(r.body.status).toBe('not ready');
    expect(r.body.checks.fine).toEqual({ ok: true });
    expect(r.body.checks.temporal).toEqual({ ok: false, error: 'no answer within 50 ms' });
    expect(r.body.checks.db!.ok).toBe(false);
    expect(r.body.checks.db!.error).not.toContain('hunter2hunter2');
  });
});

describe('ops server', () => {
  it('serves /metrics (process-wide and its own registry, plus extra text); probes only when it has checks', async () => {
    const registry = new Registry();
    new Gauge({ name: 'test_ops_gauge', help: 'h', registers: [registry] }).set(7);
    const plain = await startOpsServer({ host: '127.0.0.1', port: 0, registry, extraMetrics: async () => '# TYPE extra_metric gauge\nextra_metric 1\n' });
    const probed = await startOpsServer({ host: '127.0.0.1', port: 0, registry: new Registry(), readiness: { never: async () => Promise.reject(new Error('down')) } });
    try {
      const res = await fetch(`${plain.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toContain('test_ops_gauge 7');
      expect(text).toContain('# TYPE pg_rotator_rotations_total counter');
      expect(text).toContain('extra_metric 1');
      expect((await fetch(`${plain.url}/healthz`)).status).toBe(404);
      expect((await fetch(`${plain.url}/metrics`, { method: 'POST' })).status).toBe(405);
      expect((await fetch(`${probed.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${probed.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', checks: { never: { ok: false, error: 'down' } } });
    } finally {
      await plain.close();
      await probed.close();
    }
  });

  it('refuses to start on a port that is taken, with the reason', async () => {
    const first = await startOpsServer({ host: '127.0.0.1', port: 0, registry: new Registry() });
    try {
      const port = Number(new URL(first.url).port);
      await expect(startOpsServer({ host: '127.0.0.1', port, registry: new Registry() })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
