// The leak scanner and audit that test/integration/leak-audit.test.ts and the global teardown rely on: proven to
// fail on a deliberate leak (planted here, in test data, never in product code) and not to cry wolf.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLeaks, describeAudit } from '../support/leak-audit.js';
import { fingerprint, LeakScanner } from '../support/leak-scan.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'leak-scan-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const password = () => randomBytes(24).toString('base64url');
const file = (name: string, content: string): string => {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return f;
};
const noise = (bytes: number) => randomBytes(bytes).toString('base64').replace(/(.{100})/g, '$1\n');

describe('auditLeaks over files', () => {
  it('fails on a password planted in one log file, naming the file and line by fingerprint only', async () => {
    const leaked = password();
    const clean = file('clean.log', `${noise(20_000)}\n`);
    const dirty = file('dirty.log', `line one\nline two ${JSON.stringify({ msg: 'oops', value: leaked })}\nline three\n`);
    const report = await auditLeaks([password(), leaked, password()], { files: [clean, dirty] });
    expect(report.files).toBe(2);
    expect(report.hits).toEqual([{ where: `${dirty}, line 2`, secret: fingerprint(leaked) }]);
    const text = describeAudit('planted', report);
    expect(text).toContain('1 hits');
    expect(text).not.toContain(leaked);
  });

  it('passes on the same files without the leak', async () => {
    const report = await auditLeaks([password(), password()], { files: [file('a.log', noise(5_000)), file('b.log', 'nothing here\n')] });
    expect(report.hits).toEqual([]);
    expect(report.files).toBe(2);
  });

  it('reports a missing file instead of throwing', async () => {
    const report = await auditLeaks([password()], { files: [path.join(dir, 'absent.log')] });
    expect(report.missingFiles).toEqual([path.join(dir, 'absent.log')]);
  });
});

describe('LeakScanner', () => {
  it('finds a password JSON-escaped and hex-encoded (a bytea column in row_to_json)', () => {
    const tricky = `ab"cd\\ef${password()}`;
    const scanner = new LeakScanner([tricky]);
    expect(scanner.scan('json', JSON.stringify({ v: tricky }))).toBe(1);
    expect(scanner.scan('hex', `{"col":"\\\\x${Buffer.from(tricky).toString('hex')}"}`)).toBe(1);
    expect(scanner.hits.map((h) => h.secret)).toEqual([`${fingerprint(tricky)} JSON-escaped`, `${fingerprint(tricky)} hex-encoded`]);
  });

  it('finds exactly the planted ones among hundreds of passwords in a megabyte, nothing else', () => {
    const secrets = Array.from({ length: 300 }, password);
    const planted = [secrets[7]!, secrets[150]!, secrets[299]!];
    let text = noise(1_000_000);
    for (const [i, p] of planted.entries()) {
      const at = Math.floor(((i + 1) * text.length) / 4);
      text = text.slice(0, at) + p + text.slice(at);
    }
    const scanner = new LeakScanner(secrets);
    expect(scanner.scan('megabyte', text)).toBe(3);
    expect(scanner.hits.map((h) => h.secret).sort()).toEqual(planted.map(fingerprint).sort());
  });

  it('does not report a password cut short', () => {
    const p = password();
    expect(new LeakScanner([p]).scan('partial', `${p.slice(0, -1)} ${p.slice(1)}`)).toBe(0);
  });

  it('refuses a secret too short to search for', () => {
    expect(() => new LeakScanner(['short'])).toThrow(/too short/);
  });
});
