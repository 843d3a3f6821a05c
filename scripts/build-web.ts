/**
 * Builds the web console (web/ → web/dist, Vite) when its sources are newer than the build; `npm run dev`,
 * `npm test` and the browser tests call it, so nobody runs a build step by hand. Run directly:
 * `tsx scripts/build-web.ts [--force]`.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { withLock } from '../dev/stack/process.js';
import { consoleBuildDir, dataDir, projectRoot } from '../src/data-dir.js';

const WEB = path.join(projectRoot, 'web');
const INPUTS = ['index.html', 'vite.config.ts', 'src', 'public'].map((p) => path.join(WEB, p));

function newestMtime(p: string): number {
  const s = statSync(p, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(p).map((e) => newestMtime(path.join(p, e))));
}

const builtAt = () => statSync(path.join(consoleBuildDir, 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;

/** Builds unless the build is newer than every source file; returns whether it built. One build at a time per checkout. */
export async function ensureConsoleBuilt(opts: { force?: boolean } = {}): Promise<boolean> {
  if (!opts.force && builtAt() >= Math.max(...INPUTS.map(newestMtime))) return false;
  return withLock(path.join(dataDir(), 'web-build.lock'), async () => {
    if (!opts.force && builtAt() >= Math.max(...INPUTS.map(newestMtime))) return false; // built meanwhile
    const { build } = await import('vite');
    await build({ configFile: path.join(WEB, 'vite.config.ts'), logLevel: 'warn' });
    return true;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  const built = await ensureConsoleBuilt({ force: process.argv.includes('--force') });
  console.error(built ? `==> web console built in ${Date.now() - started} ms (${path.relative(projectRoot, consoleBuildDir)})` : '==> web console is up to date');
}
