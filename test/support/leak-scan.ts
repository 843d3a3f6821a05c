/**
 * Searching for secrets without ever printing them (docs/design.md I3): the passwords the control database holds, and
 * a scanner that looks for each of them in Temporal histories, log files, API error bodies and the control
 * database's rows, reporting where it found one by a fingerprint only. Used by the chaos harness (which audits
 * its own servers before removing them); free of Vitest, so `npm run test:chaos` can use it too.
 */
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import pg from 'pg';
import type { ControlDb } from '../../src/store/db.js';
import { aad } from '../../src/store/secret-box.js';

/** Identifies a secret in a report without revealing it: its first 4 characters and its length. */
export function fingerprint(secret: string): string {
  return `${secret.slice(0, 4)}…(${secret.length} chars)`;
}

/** Every string in a value, with byte arrays (Temporal payloads, metadata) decoded as UTF-8. */
export function collectStrings(value: unknown, out: string[] = [], seen = new WeakSet<object>()): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  else if (value && typeof value === 'object') {
    if (seen.has(value)) return out;
    seen.add(value);
    for (const v of Array.isArray(value) ? value : Object.values(value)) collectStrings(v, out, seen);
  }
  return out;
}

/**
 * The passwords the control database holds, decrypted: `generated` = every credential (each slot and generation)
 * and every version of each rotation's mapped *password* secret (the key named by
 * `config->'secretsMapping'->>'password'`; the mapped username secrets hold role names, which are not secrets);
 * `connections` = the admin passwords of the connections (chosen by whoever added them, not generated).
 * `projectIds` limits all three to those projects.
 */
export async function storedPasswords(db: ControlDb, projectIds?: string[]): Promise<{ generated: string[]; connections: string[] }> {
  const generated = new Set<string>();
  const scope = (alias: string) => (projectIds ? `WHERE ${alias}.project_id = ANY($1::uuid[])` : '');
  const params = projectIds ? [projectIds] : [];
  const creds = await db.pool.query(
    `SELECT c.rotation_id, c.slot, c.generation, c.password_enc FROM credentials c JOIN rotations r ON r.id = c.rotation_id ${scope('r')}`,
    params,
  );
  for (const r of creds.rows) generated.add(db.box.open(r.password_enc, aad.credential(r.rotation_id, r.slot, r.generation)));
  const versions = await db.pool.query(
    `SELECT v.secret_id, v.version, v.value_enc FROM secret_versions v JOIN secrets s ON s.id = v.secret_id
     JOIN rotations r ON r.id = s.rotation_id AND s.key = r.config->'secretsMapping'->>'password' ${scope('r')}`,
    params,
  );
  for (const r of versions.rows) generated.add(db.box.open(r.value_enc, aad.secretVersion(r.secret_id, r.version)));
  const conns = await db.pool.query(`SELECT k.id, k.password_enc FROM connections k ${scope('k')}`, params);
  const connections = conns.rows.map((r) => db.box.open(r.password_enc, aad.connectionPassword(r.id)));
  return { generated: [...generated], connections: [...new Set(connections)] };
}

export interface LeakHit {
  /** Where it was found (source, and line or row when known). */
  where: string;
  /** `fingerprint()` of the secret, and the encoding it was found in when not plain. */
  secret: string;
}

interface Needle {
  bytes: Buffer;
  label: string;
}

/** Bytes of the rolling hash's window: the needles' common prefix length, at most this. */
const MAX_WINDOW = 16;
const FILTER_BITS = 20;
const BASE = 0x01000193;

/**
 * Looks for every given secret — as is, JSON-escaped (when that differs) and hex-encoded (a bytea column in
 * `row_to_json`, a bytea parameter in a statement log) — in what it is given, and records each hit with where
 * it was found and the secret's fingerprint. Each secret is recorded at most once per source.
 *
 * One pass per source whatever the number of secrets (Rabin–Karp over the first bytes of every needle, with a
 * filter in front of the table): ~15 ms per MB for hundreds of passwords, where an `indexOf` per password and
 * encoding took ~200 ms per MB.
 */
export class LeakScanner {
  readonly hits: LeakHit[] = [];
  bytesScanned = 0;
  sources = 0;
  readonly secrets: number;
  private readonly window: number;
  /** B^(window-1) mod 2^32: what the byte leaving the window contributed. */
  private readonly outFactor: number;
  private readonly filter = new Uint8Array(1 << FILTER_BITS);
  private readonly table = new Map<number, Needle[]>();

  constructor(secrets: Iterable<string>, minLength = 8) {
    const unique = [...new Set(secrets)];
    this.secrets = unique.length;
    const needles: Needle[] = [];
    for (const s of unique) {
      // A short string would be found by chance (and says little about a leak): refuse rather than skip it.
      if (s.length < minLength) throw new Error(`a secret of ${s.length} characters is too short to search for (minimum ${minLength})`);
      const fp = fingerprint(s);
      needles.push({ bytes: Buffer.from(s, 'utf8'), label: fp });
      const escaped = JSON.stringify(s).slice(1, -1);
      if (escaped !== s) needles.push({ bytes: Buffer.from(escaped, 'utf8'), label: `${fp} JSON-escaped` });
      needles.push({ bytes: Buffer.from(Buffer.from(s, 'utf8').toString('hex'), 'utf8'), label: `${fp} hex-encoded` });
    }
    this.window = Math.min(MAX_WINDOW, ...needles.map((n) => n.bytes.length));
    let f = 1;
    for (let i = 1; i < this.window; i++) f = Math.imul(f, BASE);
    this.outFactor = f;
    for (const n of needles) {
      let h = 0;
      for (let i = 0; i < this.window; i++) h = (Math.imul(h, BASE) + n.bytes[i]!) | 0;
      this.filter[slot(h)] = 1;
      const list = this.table.get(h);
      if (list) list.push(n);
      else this.table.set(h, [n]);
    }
  }

  /** Searches one source (a string, or raw bytes of a file); returns the number of hits. */
  scan(where: string, content: string | Buffer): number {
    const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    this.sources += 1;
    this.bytesScanned += buf.length;
    const w = this.window;
    if (this.table.size === 0 || buf.length < w) return 0;
    const found = new Set<Needle>();
    const { filter, table, outFactor } = this;
    let h = 0;
    for (let i = 0; i < w; i++) h = (Math.imul(h, BASE) + buf[i]!) | 0;
    for (let start = 0; ; start++) {
      if (filter[slot(h)] === 1) {
        for (const n of table.get(h) ?? []) {
          if (found.has(n) || start + n.bytes.length > buf.length) continue;
          if (buf.compare(n.bytes, 0, n.bytes.length, start, start + n.bytes.length) !== 0) continue;
          found.add(n);
          this.hits.push({ where: `${where}, line ${lineAt(buf, start)}`, secret: n.label });
        }
      }
      const end = start + w;
      if (end >= buf.length) break;
      h = (Math.imul((h - Math.imul(buf[start]!, outFactor)) | 0, BASE) + buf[end]!) | 0;
    }
    return found.size;
  }

  /** Reads and searches files (missing ones are returned, not thrown). */
  async scanFiles(files: { file: string; name: string }[]): Promise<{ scanned: number; missing: string[] }> {
    const missing: string[] = [];
    let scanned = 0;
    for (const { file, name } of files) {
      const content = await readFile(file).catch(() => undefined);
      if (content === undefined) {
        missing.push(name);
        continue;
      }
      this.scan(name, content);
      scanned += 1;
    }
    return { scanned, missing };
  }

  /**
   * Every run of every workflow of the client's namespace: its whole history (inputs, results, update and
   * signal arguments, failure messages and stack traces, memos, search attributes) with payloads decoded.
   * `markers`: strings to look for as well (e.g. role names, which the workflow inputs carry), to prove that
   * the scan does read the payloads; returned are those found.
   */
  async scanTemporalHistories(client: Client, opts: { markers?: string[]; concurrency?: number } = {}): Promise<{ histories: number; markersFound: string[] }> {
    const runs: { workflowId: string; runId: string }[] = [];
    for await (const wf of client.workflow.list()) runs.push({ workflowId: wf.workflowId, runId: wf.runId });
    const markersFound = new Set<string>();
    let next = 0;
    const workers = Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, async () => {
      while (next < runs.length) {
        const run = runs[next++]!;
        const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
        const text = collectStrings(history).join('\n');
        for (const m of opts.markers ?? []) if (text.includes(m)) markersFound.add(m);
        this.scan(`Temporal history of ${run.workflowId} (run ${run.runId})`, text);
      }
    });
    await Promise.all(workers);
    return { histories: runs.length, markersFound: [...markersFound] };
  }

  /** Every row of every table of the control database's schema, as `row_to_json` text (bytea shows as hex). */
  async scanControlDb(pool: pg.Pool): Promise<{ tables: number; rows: number }> {
    const { rows: tables } = await pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    let rowCount = 0;
    for (const { table_name: table } of tables as { table_name: string }[]) {
      const { rows } = await pool.query(`SELECT row_to_json(t)::text AS row FROM ${pg.escapeIdentifier(table)} t`);
      rowCount += rows.length;
      const lines = rows.map((r) => r.row as string).join('\n');
      this.scan(`control database table ${table} (row_to_json)`, lines);
    }
    return { tables: tables.length, rows: rowCount };
  }
}

const slot = (h: number): number => Math.imul(h, 0x9e3779b1) >>> (32 - FILTER_BITS);

function lineAt(buf: Buffer, at: number): number {
  let line = 1;
  for (let i = buf.indexOf(10); i >= 0 && i < at; i = buf.indexOf(10, i + 1)) line += 1;
  return line;
}
