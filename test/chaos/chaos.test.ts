import { expect, inject, it } from 'vitest';
import { formatReport, leakAuditFailures, runChaos } from './chaos.js';

// The CI variant of `npm run test:chaos`: its own servers (it restarts them), a prober and a sticky client logging
// in throughout, at least 20 rotate-now rotations while the worker is killed inside each step and once at random,
// and the target PostgreSQL, the Temporal dev server and the API are each restarted once. Then the leak audit (I3)
// over this run's servers: no password anywhere but in encrypted columns.
it('chaos: no rejected login breaks I1/I2 while rotations run through worker kills and server restarts, and no password leaks', async () => {
  const report = await runChaos({
    rotations: 20,
    workerKills: 5,
    targetRestarts: 1,
    temporalRestarts: 1,
    apiKills: 1,
    workflowBundlePath: inject('workflowBundlePath'),
    log: (line) => console.log(line),
  });
  const text = formatReport(report);
  console.log(text);

  expect(report.aborted, text).toBeNull();
  expect(report.violations.map((v) => `${v.what}\n${v.timeline}`), text).toEqual([]);
  expect(report.logins.authFailures, text).toBe(0);
  expect(report.finalPairLogsIn, text).toBe(true);
  expect(report.rotations.completed).toBeGreaterThanOrEqual(20);
  expect(report.faults.workerKills.length).toBeGreaterThanOrEqual(3);
  for (const phase of ['stagePassword', 'applyPassword', 'verifyLogin', 'publish']) {
    expect(report.faults.workerKills.some((k) => k.planned === phase), `a kill inside ${phase}`).toBe(true);
  }
  expect(report.faults.targetRestarts).toBe(1);
  expect(report.faults.temporalRestarts).toBe(1);
  expect(report.faults.apiKills).toBe(1);
  expect(report.faults.unexpectedExits, text).toEqual([]);
  expect(report.logins.prober).toBeGreaterThan(200);
  expect(report.logins.connectionFailures.outside, text).toBe(0);
  // Leak audit: where each hit was (the password only by fingerprint), and that the audit had material.
  expect(leakAuditFailures(report), text).toEqual([]);
  expect(report.leakAudit!.hits).toBe(0);
  expect(report.leakAudit!.passwords).toBeGreaterThanOrEqual(report.rotations.completed);
  expect(report.leakAudit!.histories).toBeGreaterThan(0);
  expect(report.leakAudit!.logFiles).toBeGreaterThanOrEqual(5); // target, control, Temporal, ≥ 1 worker and ≥ 1 API log
  expect(report.leakAudit!.ms).toBeLessThan(15_000);
}, 480_000);
