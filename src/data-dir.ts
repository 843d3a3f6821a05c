import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (in the image: the app folder), found from this file's location (src/data-dir.ts → ..). */
export const projectRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Git-ignored folder for local state (`npm run dev` keeps its env file there): `ROTATOR_DATA_DIR` or `<projectRoot>/.data`. */
export function dataDir(): string {
  const fromEnv = process.env.ROTATOR_DATA_DIR;
  return fromEnv ? path.resolve(fromEnv) : path.join(projectRoot, '.data');
}

/** Where the web console is built (`npm run build:web`, Vite; git-ignored) and served from by the API. */
export const consoleBuildDir: string = path.join(projectRoot, 'web', 'dist');
