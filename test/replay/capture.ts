// Captures one Temporal history per path of the rotation workflow into test/replay/histories/*.json, for the
// replay test (test/workflow/replay.test.ts). Run with `npm run capture:histories` after adding a workflow path;
// never re-capture to make a failing replay pass: that failure is what a running workflow would hit on upgrade.
//
// Temporal's time-skipping test server and fake activities (no database, no passwords): days pass in
// milliseconds and every run is deterministic.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { execa } from 'execa';
import { DAY_MS, MINUTE_MS } from '../../src/domain/schedule.js';
import {
  deleteUpdate,
  getRotationQuery,
  issuedUpdate,
  MAX_RUN_EVENTS,
  postgresCredentialsRotation,
  rotateBothUpdate,
  rotateNowSignal,
  rotateUpdate,
  TASK_QUEUE,
  updateConfigUpdate,
} from '../../src/workflows/rotation-workflow.js';
import { rotationSearchAttributes } from '../../src/workflows/search-attributes.js';
import { ensureTemporalBinaries } from '../../dev/stack/temporal-binaries.js';
import { FakeTarget, sampleConfig } from '../support/fake-activities.js';
import { startTimeSkippingWorker } from '../support/time-skipping.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const HISTORIES_DIR = path.join(here, 'histories');

const targets = new Map<string, FakeTarget>();
const scratch = path.join(os.tmpdir(), `pg-rotator-capture-${process.pid}`);
const bundle = path.join(scratch, 'workflow-bundle.js');
await execa('npx', ['tsx', path.join(here, '..', '..', 'scripts', 'bundle-workflows.ts'), bundle], { stdio: 'inherit' });
const { testServer } = await ensureTemporalBinaries();
const harness = await startTimeSkippingWorker(targets, 'WARN', { testServerPath: testServer, workflowBundlePath: bundle });
const { env } = harness;
// Registered as the compose namespace job registers them (deploy/temporal/scripts/create-namespace.sh).
const { INDEXED_VALUE_TYPE_KEYWORD: KEYWORD, INDEXED_VALUE_TYPE_DATETIME: DATETIME } = proto.temporal.api.enums.v1.IndexedValueType;
const { projectId, status, nextAt } = rotationSearchAttributes;
await env.connection.operatorService.addSearchAttributes({
  namespace: 'default',
  searchAttributes: { [projectId.name]: KEYWORD, [status.name]: KEYWORD, [nextAt.name]: DATETIME },
});

/**
 * Starts a rotation as the service does: the issue update comes with the start. `searchAttributes`: the starter
 * sets the project attribute, as it does where the namespace has the attributes registered (the workflow then
 * upserts status and next rotation).
 */
async function start(name: string, overrides: Parameters<typeof sampleConfig>[0] = {}, { searchAttributes = false } = {}) {
  const now = new Date(await env.currentTimeMs()).toISOString();
  const target = new FakeTarget(sampleConfig({ createdAt: now, updatedAt: now, ...overrides }));
  targets.set(name, target);
  const startWorkflowOperation = new WithStartWorkflowOperation(postgresCredentialsRotation, {
    workflowId: `replay-${name}`,
    taskQueue: TASK_QUEUE,
    args: [{ rotationId: name, config: target.config }],
    workflowIdConflictPolicy: 'FAIL',
    ...(searchAttributes ? { typedSearchAttributes: [{ key: rotationSearchAttributes.projectId, value: target.config.projectId }] } : {}),
  });
  const issued = await env.client.workflow.executeUpdateWithStart(issuedUpdate, { startWorkflowOperation }).catch((err: unknown) => err);
  const handle = await startWorkflowOperation.workflowHandle();
  return { handle, target, issued };
}

async function sleepUntil(at: number): Promise<void> {
  await env.sleep(Math.max(0, at - (await env.currentTimeMs())));
}

/** The run's history once no workflow task is in flight (so that the fixture ends where a worker would find it). */
async function save(name: string, handle: WorkflowHandle, runId?: string): Promise<void> {
  const run = env.client.workflow.getHandle(handle.workflowId, runId);
  let history = await run.fetchHistory();
  const inFlight = () => {
    const last = history.events?.at(-1);
    return !!(last?.workflowTaskScheduledEventAttributes || last?.workflowTaskStartedEventAttributes);
  };
  for (let tries = 0; inFlight(); tries += 1) {
    if (tries === 50) throw new Error(`${name}: a workflow task is still in flight after 10 s`);
    await new Promise((r) => setTimeout(r, 200));
    history = await run.fetchHistory();
  }
  // protobufjs's JSON form (enum names, 64-bit ids as strings, bytes as base64): History.fromObject reads it back.
  await writeFile(path.join(HISTORIES_DIR, `${name}.json`), JSON.stringify(history, null, 1) + '\n');
  console.log(`${name}: ${history.events?.length} events`);
}

/** Each path: what it drives, then the history is saved under its name. */
const paths: Record<string, () => Promise<void>> = {
  async issue() {
    const { handle } = await start('issue');
    await save('issue', handle);
  },
  async 'issue-failed'() {
    const target = new FakeTarget(sampleConfig());
    targets.set('issue-failed', target);
    target.preflightFailure = 'role "app_user_2" does not exist';
    const startWorkflowOperation = new WithStartWorkflowOperation(postgresCredentialsRotation, {
      workflowId: 'replay-issue-failed',
      taskQueue: TASK_QUEUE,
      args: [{ rotationId: 'issue-failed', config: target.config }],
      workflowIdConflictPolicy: 'FAIL',
    });
    await env.client.workflow.executeUpdateWithStart(issuedUpdate, { startWorkflowOperation }).catch(() => undefined);
    const handle = await startWorkflowOperation.workflowHandle();
    await handle.result();
    await save('issue-failed', handle);
  },
  async 'scheduled-rotation'() {
    const { handle } = await start('scheduled-rotation', { rotationInterval: 1 });
    const { nextRotationAt } = await handle.query(getRotationQuery);
    await sleepUntil(Date.parse(nextRotationAt!) + DAY_MS + MINUTE_MS); // two scheduled rotations
    await save('scheduled-rotation', handle);
  },
  async 'manual-rotation'() {
    const { handle } = await start('manual-rotation', { minimumOverlapSeconds: 3600 });
    await handle.executeUpdate(rotateUpdate, { args: [{ actor: 'token:replay' }] });
    await handle.executeUpdate(rotateUpdate, { args: [{ force: true }] });
    await handle.executeUpdate(rotateUpdate, { args: [{ force: true, wait: false }] });
    await env.sleep(2 * 3600_000);
    await handle.signal(rotateNowSignal);
    await env.sleep(MINUTE_MS);
    await save('manual-rotation', handle);
  },
  async 'failure-and-recovery'() {
    const { handle, target } = await start('failure-and-recovery', { rotationInterval: 1, rotateAtUtc: { hours: 12, minutes: 0 } });
    target.applyFailure = 'connect ECONNREFUSED 10.0.0.1:5432';
    await handle.executeUpdate(rotateUpdate, { args: [{}] }).catch(() => undefined); // a failed manual rotation
    const { nextRotationAt } = await handle.query(getRotationQuery);
    await sleepUntil(Date.parse(nextRotationAt!) + MINUTE_MS); // a failed scheduled rotation
    target.applyFailure = null;
    const retry = await handle.query(getRotationQuery);
    await sleepUntil(Date.parse(retry.nextRotationAt!) + MINUTE_MS); // recovered
    await save('failure-and-recovery', handle);
  },
  async incident() {
    const { handle, target } = await start('incident');
    await handle.executeUpdate(rotateBothUpdate, { args: [{ actor: 'token:replay' }] });
    target.applyFailure = 'permission denied to alter role';
    target.applyFailureSlot = 1;
    await handle.executeUpdate(rotateBothUpdate, { args: [{}] }).catch(() => undefined); // half done
    target.applyFailure = null;
    await handle.executeUpdate(rotateUpdate, { args: [{}] });
    await save('incident', handle);
  },
  async 'config-change'() {
    const { handle } = await start('config-change');
    await handle.executeUpdate(updateConfigUpdate, { args: [{ rotationInterval: 7, rotateAtUtc: { hours: 6, minutes: 15 }, actor: 'token:replay' }] });
    await handle.executeUpdate(updateConfigUpdate, { args: [{ rotationInterval: 0 }] }).catch(() => undefined); // refused by the validator
    await handle.executeUpdate(updateConfigUpdate, { args: [{ minimumOverlapSeconds: 600, rotationWindowMinutes: 30 }] });
    await save('config-change', handle);
  },
  async 'pause-resume'() {
    const { handle } = await start('pause-resume', { rotationInterval: 2 });
    await handle.executeUpdate(updateConfigUpdate, { args: [{ isAutoRotationEnabled: false }] });
    await env.sleep(5 * DAY_MS);
    const resumed = await handle.executeUpdate(updateConfigUpdate, { args: [{ isAutoRotationEnabled: true }] });
    await sleepUntil(Date.parse(resumed.nextRotationAt!) + MINUTE_MS);
    await save('pause-resume', handle);
  },
  async delete() {
    const { handle } = await start('delete');
    await handle.executeUpdate(rotateUpdate, { args: [{}] });
    await handle.executeUpdate(deleteUpdate, { args: [{ deleteSecrets: true, revokeGeneratedCredentials: true, actor: 'token:replay' }] });
    await handle.result();
    await save('delete', handle);
  },
  async 'search-attributes'() {
    const { handle, target } = await start('search-attributes', { rotationInterval: 1 }, { searchAttributes: true });
    target.applyFailure = 'connect ECONNREFUSED 10.0.0.1:5432';
    const { nextRotationAt } = await handle.query(getRotationQuery);
    await sleepUntil(Date.parse(nextRotationAt!) + MINUTE_MS); // failed: status and next rotation change
    target.applyFailure = null;
    await handle.executeUpdate(rotateUpdate, { args: [{}] }); // success again
    await handle.executeUpdate(updateConfigUpdate, { args: [{ isAutoRotationEnabled: false }] }); // no next rotation
    await save('search-attributes', handle);
  },
  async 'continue-as-new'() {
    const { handle } = await start('continue-as-new');
    const firstRun = (await handle.describe()).runId;
    while ((await handle.describe()).historyLength < MAX_RUN_EVENTS) await handle.executeUpdate(rotateUpdate, { args: [{}] });
    await handle.executeUpdate(rotateUpdate, { args: [{}] });
    await env.sleep(10_000); // the quiet moment before the new run
    const secondRun = (await handle.describe()).runId;
    if (secondRun === firstRun) throw new Error('continue-as-new: the run did not continue as new');
    await handle.executeUpdate(rotateUpdate, { args: [{}] });
    await save('continue-as-new-first-run', handle, firstRun);
    await save('continue-as-new-next-run', handle, secondRun);
  },
};

try {
  await rm(HISTORIES_DIR, { recursive: true, force: true });
  await mkdir(HISTORIES_DIR, { recursive: true });
  for (const [name, run] of Object.entries(paths)) {
    try {
      await run();
    } catch (err) {
      throw new Error(`capturing ${name} failed: ${(err as Error).message}`, { cause: err });
    }
  }
} finally {
  await harness.shutdown();
  await rm(scratch, { recursive: true, force: true });
}
