import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_WORKER_SIZING, workerOptions } from '../../src/worker/sizing.js';

describe('worker sizing from the environment', () => {
  it('defaults to a small cache and bounded slots, and reads each variable', () => {
    expect(loadConfig({}).workerSizing).toEqual(DEFAULT_WORKER_SIZING);
    const sized = loadConfig({
      ROTATOR_WORKER_CACHED_WORKFLOWS: '300',
      ROTATOR_WORKER_WORKFLOW_TASK_SLOTS: '40',
      ROTATOR_WORKER_LOCAL_ACTIVITY_SLOTS: '25',
      ROTATOR_WORKER_STICKY_TIMEOUT_MS: '4000',
    }).workerSizing;
    expect(sized).toEqual({ cachedWorkflows: 300, workflowTaskSlots: 40, localActivitySlots: 25, stickyQueueTimeoutMs: 4000 });
    expect(workerOptions(sized)).toMatchObject({
      maxCachedWorkflows: 300,
      maxConcurrentWorkflowTaskExecutions: 40,
      maxConcurrentLocalActivityExecutions: 25,
      stickyQueueScheduleToStartTimeout: 4000,
      enableNonLocalActivities: false,
    });
  });

  it.each([
    ['ROTATOR_WORKER_CACHED_WORKFLOWS', '1', /ROTATOR_WORKER_CACHED_WORKFLOWS: must be an integer of at least 2/],
    ['ROTATOR_WORKER_CACHED_WORKFLOWS', 'lots', /ROTATOR_WORKER_CACHED_WORKFLOWS: /],
    ['ROTATOR_WORKER_WORKFLOW_TASK_SLOTS', '0', /ROTATOR_WORKER_WORKFLOW_TASK_SLOTS: must be an integer of at least 2/],
    ['ROTATOR_WORKER_WORKFLOW_TASK_SLOTS', '2.5', /ROTATOR_WORKER_WORKFLOW_TASK_SLOTS: /],
    ['ROTATOR_WORKER_LOCAL_ACTIVITY_SLOTS', '0', /ROTATOR_WORKER_LOCAL_ACTIVITY_SLOTS: /],
    ['ROTATOR_WORKER_STICKY_TIMEOUT_MS', '-5', /ROTATOR_WORKER_STICKY_TIMEOUT_MS: /],
  ])('refuses %s=%s at start, naming the variable and the rule', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('refuses more workflow-task slots than cached workflows', () => {
    expect(() => loadConfig({ ROTATOR_WORKER_CACHED_WORKFLOWS: '10', ROTATOR_WORKER_WORKFLOW_TASK_SLOTS: '11' })).toThrow(
      /ROTATOR_WORKER_WORKFLOW_TASK_SLOTS: must be at most ROTATOR_WORKER_CACHED_WORKFLOWS \(10\)/,
    );
    expect(loadConfig({ ROTATOR_WORKER_CACHED_WORKFLOWS: '10', ROTATOR_WORKER_WORKFLOW_TASK_SLOTS: '10' }).workerSizing.workflowTaskSlots).toBe(10);
  });
});
