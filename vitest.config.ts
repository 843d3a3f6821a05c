import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * unit → workflow → everything else → integration → browser (e2e): fast feedback first. No test depends on this order (the
 * whole-run leak audit is in the global teardown).
 */
function rank(file: string): number {
  const rel = path.relative(root, file).split(path.sep).join('/');
  if (rel.startsWith('test/unit/')) return 0;
  if (rel.startsWith('test/workflow/')) return 1;
  if (rel.startsWith('test/integration/')) return 3;
  if (rel.startsWith('test/e2e/')) return 4;
  return 2;
}

class LayeredSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files); // keeps Vitest's order (failed first, slow first) within a layer
    return sorted
      .map((spec, index) => ({ spec, index }))
      .sort((a, b) => rank(a.spec.moduleId) - rank(b.spec.moduleId) || a.index - b.index)
      .map(({ spec }) => spec);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Integration tests share one PostgreSQL cluster and one Temporal server; the machine has 2 cores.
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    sequence: { sequencer: LayeredSequencer },
  },
});
