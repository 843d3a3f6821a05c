import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/data-dir.js';

/** Project-local Python venv that holds the Temporal CLI and test server when they are not on PATH. */
export function venvDir(): string {
  return path.join(projectRoot, '.venv');
}

/** Like `which`: the first executable file called `name` in `PATH`, or undefined. */
export function findOnPath(name: string, envPath: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
