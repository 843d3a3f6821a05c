/**
 * The leak audit (docs/design.md, invariant I3): searches passwords in everything a run leaves behind — every
 * Temporal history, the target server's statement log, the worker and API logs and API error bodies (files), and
 * every row of the control database — and reports where it found one by a fingerprint only. Used by
 * test/integration/leak-audit.test.ts (its own passwords) and by the global teardown (every password of the run).
 * Free of Vitest.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { type LeakHit, LeakScanner } from './leak-scan.js';

export interface AuditSources {
  temporal?: Client;
  /** The control database. */
  control?: pg.Pool;
  /** Files to search (missing ones are reported, not thrown). */
  files?: string[];
  /** Strings the Temporal histories should contain (e.g. role names), proving the scan reads payloads. */
  markers?: string[];
}

export interface AuditReport {
  passwords: number;
  histories: number;
  markersFound: string[];
  files: number;
  missingFiles: string[];
  tables: number;
  rows: number;
  bytesScanned: number;
  hits: LeakHit[];
}

export async function auditLeaks(passwords: Iterable<string>, sources: AuditSources): Promise<AuditReport> {
  const scanner = new LeakScanner(passwords);
  const temporal = sources.temporal ? await scanner.scanTemporalHistories(sources.temporal, { markers: sources.markers }) : { histories: 0, markersFound: [] };
  const files = await scanner.scanFiles((sources.files ?? []).map((file) => ({ file, name: file })));
  const db = sources.control ? await scanner.scanControlDb(sources.control) : { tables: 0, rows: 0 };
  return {
    passwords: scanner.secrets,
    histories: temporal.histories,
    markersFound: temporal.markersFound,
    files: files.scanned,
    missingFiles: files.missing,
    tables: db.tables,
    rows: db.rows,
    bytesScanned: scanner.bytesScanned,
    hits: scanner.hits,
  };
}

/** Every file in `dir` (the test run's worker and API logs, API error bodies); none when it does not exist. */
export async function filesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.map((name) => path.join(dir, name));
}

/** One line for a log: what was searched and how many hits. */
export function describeAudit(what: string, r: AuditReport): string {
  return (
    `[leak-audit] ${what}: ${r.passwords} passwords searched in ${r.histories} Temporal histories, ${r.files} files ` +
    `and ${r.rows} rows of ${r.tables} tables (${(r.bytesScanned / 1e6).toFixed(1)} MB): ${r.hits.length} hits` +
    (r.hits.length ? `\n${r.hits.map((h) => `  ${h.secret} in ${h.where}`).join('\n')}` : '')
  );
}

/** The run's ledger of generated passwords (tests append with `rememberPasswords`), in the run's test folder. */
export const ledgerFile = (testDataDir: string): string => path.join(testDataDir, 'generated-passwords.jsonl');

export async function ledgerPasswords(testDataDir: string): Promise<string[]> {
  const text = await readFile(ledgerFile(testDataDir), 'utf8').catch(() => '');
  return [...new Set(text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as string))];
}
