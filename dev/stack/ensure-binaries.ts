// `npx tsx dev/stack/ensure-binaries.ts`: makes sure the Temporal CLI and test server are available
// (installing them into the project venv if needed), and with `--schemathesis` also the pinned Schemathesis
// the API fuzz test runs; prints where they are.
import { ensureSchemathesis } from './schemathesis.js';
import { ensureTemporalBinaries } from './temporal-binaries.js';

try {
  const { temporal, testServer } = await ensureTemporalBinaries();
  console.log(`temporal: ${temporal}`);
  console.log(`temporal-test-server: ${testServer}`);
  if (process.argv.includes('--schemathesis')) console.log(`schemathesis: ${await ensureSchemathesis()}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
