import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runOrThrow, withLock } from './process.js';

/** Machine-wide, not per checkout: apt itself allows one run at a time. */
const APT_LOCK = path.join(tmpdir(), 'pg-rotator-apt.lock');

/**
 * Makes sure a Debian package's binary is installed (apt-get: the dev and test set-up run as root on Debian) and
 * returns its path. If it cannot be installed the error says why; callers let that fail the run, never skip.
 */
export async function ensureDebianPackage(pkg: string, binary: string): Promise<string> {
  if (existsSync(binary)) return binary;
  await withLock(APT_LOCK, async () => {
    if (existsSync(binary)) return;
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      runOrThrow(`apt-get install ${pkg}`, 'apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', pkg], { env });
    try {
      await install();
    } catch {
      // A fresh machine may have no package lists yet.
      await runOrThrow('apt-get update', 'apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { env });
      await install();
    }
  });
  if (!existsSync(binary)) throw new Error(`the Debian package ${pkg} is installed but ${binary} is missing`);
  return binary;
}
