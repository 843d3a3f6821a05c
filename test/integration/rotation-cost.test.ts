import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRotation, rotateRotation } from '../../src/service/rotations.js';
import { rotationWorkflowId } from '../../src/workflows/rotation-messages.js';
import { rememberPasswords } from '../support/passwords.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

// What one rotation costs Temporal, measured on the real dev server: history events and workflow tasks.
let stack: TestStack;
let target: TestTarget;

beforeAll(async () => {
  stack = await openTestStack();
  await stack.startWorker('worker-cost');
  target = await stack.newTarget('cost');
});

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db);
  await stack?.close();
});

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every event of the workflow from `firstRunId` on, following continue-as-new into the later runs. */
async function eventsFrom(workflowId: string, firstRunId: string): Promise<{ events: HistoryEvent[]; runs: number }> {
  const events: HistoryEvent[] = [];
  let runId: string | null | undefined = firstRunId;
  let runs = 0;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await stack.ctx.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
    const runEvents: HistoryEvent[] = history.events ?? [];
    events.push(...runEvents);
    runs += 1;
    runId = runEvents.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return { events, runs };
}

const workflowTasks = (events: HistoryEvent[]) => events.filter((e) => e.workflowTaskCompletedEventAttributes).length;

/** The steps the Temporal UI shows: the activity type of each local activity marker, in order. */
function localActivitySteps(events: HistoryEvent[]): string[] {
  return events.flatMap((e) => {
    const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type] : [];
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cost of a rotation in Temporal', () => {
  it('a manual rotation takes one workflow task and at most 12 history events (run changes included)', async () => {
    const created = await createRotation(stack.ctx, target.rotationInput(), 'test');
    const workflowId = rotationWorkflowId(created.id);
    const firstRunId = (await stack.ctx.temporal.workflow.getHandle(workflowId).describe()).runId;
    const issued = await eventsFrom(workflowId, firstRunId);

    const rotations = 3;
    for (let i = 0; i < rotations; i++) {
      await rotateRotation(stack.ctx, created.id, {}, 'test');
      // Rotations are days apart in real life: give a run that continues as new after a quiet moment its chance.
      await sleep(6_000);
    }
    await rememberPasswords(stack.ctx.db);

    const after = await eventsFrom(workflowId, firstRunId);
    const eventsPerRotation = (after.events.length - issued.events.length) / rotations;
    const tasksPerRotation = (workflowTasks(after.events) - workflowTasks(issued.events)) / rotations;
    console.log(
      `rotation cost: issue ${issued.events.length} events / ${workflowTasks(issued.events)} workflow tasks; ` +
        `per rotation ${eventsPerRotation.toFixed(1)} events / ${tasksPerRotation.toFixed(1)} workflow tasks; ${after.runs} run(s)`,
    );
    // Every step stays visible, under its name.
    expect(localActivitySteps(after.events.slice(issued.events.length))).toEqual(
      Array.from({ length: rotations }, () => ['stagePassword', 'applyPassword', 'verifyLogin', 'publish']).flat(),
    );
    expect(eventsPerRotation).toBeLessThanOrEqual(12);
    expect(tasksPerRotation).toBeLessThanOrEqual(1);
  });
});
