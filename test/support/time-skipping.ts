import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import { postgresCredentialsRotation, TASK_QUEUE } from '../../src/workflows/rotation-workflow.js';
import { FakeTarget, sampleConfig } from './fake-activities.js';

export interface TimeSkippingWorker {
  env: TestWorkflowEnvironment;
  /** Stops the worker, waits for it, and tears the test server down. */
  shutdown(): Promise<void>;
}

/**
 * Temporal's time-skipping test server (day-long sleeps take milliseconds) and one worker for the file, whose
 * activity calls are each routed to the FakeTarget of their rotation id (workflows of earlier tests keep running).
 */
export async function startTimeSkippingWorker(
  targets: Map<string, FakeTarget>,
  logLevel: LogLevel,
  // Inside Vitest both come from the global setup; a plain script (test/replay/capture.ts) passes its own.
  paths: { testServerPath: string; workflowBundlePath: string } = { testServerPath: inject('testServerPath'), workflowBundlePath: inject('workflowBundlePath') },
): Promise<TimeSkippingWorker> {
  Runtime.install({ logger: new DefaultLogger(logLevel) });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: paths.testServerPath } },
  });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  // The activity names come from the fake, which implements the whole contract (the compiler checks that).
  const activityNames = Object.keys(new FakeTarget(sampleConfig()).activities()) as (keyof ReturnType<FakeTarget['activities']>)[];
  try {
    const proxy = new Proxy({} as ReturnType<FakeTarget['activities']>, {
      get:
        (_t, name: string) =>
        (input: { rotationId: string }, ...rest: unknown[]) =>
          (targets.get(input.rotationId)!.activities() as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(input, ...rest),
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: { codePath: paths.workflowBundlePath },
      activities: Object.fromEntries(activityNames.map((name) => [name, proxy[name]])),
    });
    running = worker.run();
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return {
    env,
    shutdown: async () => {
      worker?.shutdown();
      await running;
      await env.teardown();
    },
  };
}

export interface TimeSkippingSuite {
  /** The test server (available from the file's beforeAll on). */
  readonly env: TestWorkflowEnvironment;
  /** A FakeTarget for `rotationId`, created at the test server's current time, that serves its activities. */
  newTarget(rotationId: string, overrides?: Parameters<typeof sampleConfig>[0]): Promise<FakeTarget>;
  /** Starts a rotation workflow on a new FakeTarget (see newTarget). */
  startRotation(
    rotationId: string,
    overrides?: Parameters<typeof sampleConfig>[0],
  ): Promise<{ handle: WorkflowHandle<typeof postgresCredentialsRotation>; target: FakeTarget }>;
}

/**
 * The set-up of a workflow test file: the time-skipping worker starts before the file's tests and stops after
 * them; every rotation gets a FakeTarget of its own (workflows of earlier tests keep running as time skips).
 */
export function useTimeSkippingWorker(logLevel: LogLevel): TimeSkippingSuite {
  const targets = new Map<string, FakeTarget>();
  let harness: TimeSkippingWorker | undefined;
  beforeAll(async () => {
    harness = await startTimeSkippingWorker(targets, logLevel);
  });
  afterAll(async () => {
    await harness?.shutdown();
  });
  const suite: TimeSkippingSuite = {
    get env() {
      if (!harness) throw new Error('the time-skipping worker starts in beforeAll');
      return harness.env;
    },
    async newTarget(rotationId, overrides = {}) {
      const now = new Date(await suite.env.currentTimeMs()).toISOString();
      const target = new FakeTarget(sampleConfig({ createdAt: now, updatedAt: now, ...overrides }));
      targets.set(rotationId, target);
      return target;
    },
    async startRotation(rotationId, overrides = {}) {
      const target = await suite.newTarget(rotationId, overrides);
      const handle = await suite.env.client.workflow.start(postgresCredentialsRotation, {
        workflowId: `wf-${rotationId}-${Date.now()}`,
        taskQueue: TASK_QUEUE,
        args: [{ rotationId, config: target.config }],
      });
      return { handle, target };
    },
  };
  return suite;
}
