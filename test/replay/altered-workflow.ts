// Test-only: the rotation workflow under its own name, changed the way an unsafe release would change it (a new
// timer before the first step, so its commands come in another order). Replaying a captured history against it
// must fail; test/workflow/replay.test.ts checks that it does.
import { sleep } from '@temporalio/workflow';
import type { RotationOutcome, RotationWorkflowInput } from '../../src/workflows/rotation-messages.js';
import { postgresCredentialsRotation as current } from '../../src/workflows/rotation-workflow.js';

export async function postgresCredentialsRotation(input: RotationWorkflowInput): Promise<RotationOutcome> {
  await sleep('1 second');
  return current(input);
}
