/**
 * Workflow for bench/update-floor.ts: one long-lived workflow per variant whose update handler runs `k`
 * sequential local activities, the shape of a rotate-now (update → four local-activity steps → result).
 */
import { condition, defineUpdate, proxyLocalActivities, setHandler } from '@temporalio/workflow';

export interface FloorActivities {
  /** Sleeps `ms` (0: returns at once), standing in for one rotation step. */
  step(ms: number): Promise<void>;
}

export interface FloorRequest {
  k: number;
  stepMs: number;
}

export const runSteps = defineUpdate<void, [FloorRequest]>('runSteps');

const { step } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '30s' });

export async function updateFloorWorkflow(): Promise<void> {
  setHandler(runSteps, async ({ k, stepMs }) => {
    for (let i = 0; i < k; i++) await step(stepMs);
  });
  // Lives until the benchmark stops the dev server (a fresh one per run).
  await condition(() => false);
}
