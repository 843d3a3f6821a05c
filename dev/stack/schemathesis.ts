import path from 'node:path';
import { execa } from 'execa';
import { isExecutableFile, venvDir } from './paths.js';
import { withLock } from './process.js';
import { pipInstallIntoVenv, venvLockPath } from './temporal-binaries.js';

/**
 * Schemathesis (API fuzzing from the OpenAPI document, test/integration/schemathesis.test.ts), pinned, from
 * PyPI, in the project venv next to the Temporal binaries. Its own dependencies that decide what it generates
 * and how it validates are pinned too, so a run is reproducible.
 */
export const SCHEMATHESIS_VERSION = '4.32.5';
export const SCHEMATHESIS_PIP_PACKAGES = [`schemathesis==${SCHEMATHESIS_VERSION}`, 'hypothesis==6.170.17', 'jsonschema_rs==0.60.3'] as const;

async function installedVersion(st: string): Promise<string | undefined> {
  if (!isExecutableFile(st)) return undefined;
  const result = await execa(st, ['--version'], { stdin: 'ignore', all: true, reject: false });
  return result.failed ? undefined : /version (\S+)/.exec(String(result.all ?? ''))?.[1];
}

/**
 * The path of the pinned `st` (Schemathesis CLI) in `.venv/bin`, pip-installing it first when it is missing
 * or another version. Safe to call from several processes at once (the venv's install lock).
 */
export async function ensureSchemathesis(): Promise<string> {
  const st = path.join(venvDir(), 'bin', 'st');
  if ((await installedVersion(st)) === SCHEMATHESIS_VERSION) return st;
  await withLock(venvLockPath(), async () => {
    if ((await installedVersion(st)) === SCHEMATHESIS_VERSION) return;
    await pipInstallIntoVenv(SCHEMATHESIS_PIP_PACKAGES, 'Schemathesis');
  });
  const version = await installedVersion(st);
  if (version !== SCHEMATHESIS_VERSION) {
    throw new Error(`Schemathesis ${SCHEMATHESIS_VERSION} still missing from ${st} after pip install (found: ${version ?? 'nothing'}).`);
  }
  return st;
}
