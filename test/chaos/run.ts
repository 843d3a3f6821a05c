/**
 * `npm run test:chaos`: the full chaos run (≥ 100 rotations, 12 worker kills, 2 target restarts, 2 Temporal
 * restarts, 2 API kills), printed as a report. Exit code 1 on any authentication failure that breaks I1/I2
 * (or another invariant violation) and on any generated password found by the leak audit (I3) — or a leak audit
 * that could not be trusted —, 2 when the run could not finish.
 *
 * Overrides: CHAOS_ROTATIONS, CHAOS_WORKER_KILLS, CHAOS_TARGET_RESTARTS, CHAOS_TEMPORAL_RESTARTS,
 * CHAOS_API_KILLS, CHAOS_SEED, CHAOS_KEEP_DIR=1 (keep logs and data), CHAOS_JSON=<file> (write the report).
 */
import { writeFile } from 'node:fs/promises';
import { formatReport, leakAuditFailures, runChaos } from './chaos.js';

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer (got "${raw}")`);
  return n;
};

const abort = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the chaos run and cleaning up…`);
    abort.abort();
  });
}

try {
  const report = await runChaos({
    rotations: num('CHAOS_ROTATIONS', 100),
    workerKills: num('CHAOS_WORKER_KILLS', 12),
    targetRestarts: num('CHAOS_TARGET_RESTARTS', 2),
    temporalRestarts: num('CHAOS_TEMPORAL_RESTARTS', 2),
    apiKills: num('CHAOS_API_KILLS', 2),
    seed: process.env.CHAOS_SEED ? num('CHAOS_SEED', 0) : undefined,
    keepDir: process.env.CHAOS_KEEP_DIR === '1',
    log: (line) => console.log(line),
    signal: abort.signal,
  });
  console.log(`\n${formatReport(report)}`);
  if (process.env.CHAOS_JSON) await writeFile(process.env.CHAOS_JSON, JSON.stringify(report, null, 2));
  const leaks = leakAuditFailures(report);
  if (leaks.length > 0) console.error(`\nleak audit failed:\n${leaks.map((l) => `  ${l}`).join('\n')}`);
  const failed = report.logins.authFailures > 0 || report.violations.length > 0 || leaks.length > 0;
  process.exit(failed ? 1 : report.aborted ? 2 : 0);
} catch (err) {
  console.error(err);
  process.exit(2);
}
