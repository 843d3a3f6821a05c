// Bundles the workflow code once (webpack, as Worker.create would at every start) into one file that a worker
// loads through ROTATOR_WORKFLOW_BUNDLE. Usage: tsx scripts/bundle-workflows.ts <out-file>
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowsPath } from '../src/worker/build-worker.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: tsx scripts/bundle-workflows.ts <out-file>');
  process.exit(2);
}
const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
await mkdir(path.dirname(path.resolve(out)), { recursive: true });
await writeFile(out, code);
console.log(`workflow bundle written to ${out} (${code.length} bytes)`);
