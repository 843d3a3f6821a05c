import type { WorkerOptions } from '@temporalio/worker';

/**
 * How much of the Temporal workload one worker process takes on at once. A rotation sleeps for days between two
 * short bursts of work (its steps run as local activities inside one workflow task), so the worker keeps few
 * workflows in memory and bounds the work in flight; everything else waits on the server, which is durable.
 */
export interface WorkerSizing {
  /**
   * Workflows kept in memory (~1.5–2 MB each). One not cached is replayed from its history (a run is bounded
   * at ~200 events) when a task for it arrives: its timer fires, a message or a query.
   */
  cachedWorkflows: number;
  /**
   * Workflow tasks in progress at once: the rotations this worker runs concurrently (a rotation holds its
   * workflow task while its steps run), and the replays after a restart. At most cachedWorkflows.
   */
  workflowTaskSlots: number;
  /** Rotation steps running at once (each holds a control-database or target connection, or waits for one). */
  localActivitySlots: number;
  /**
   * How long a workflow task waits on this worker's sticky queue before any worker may take it: shorter moves
   * a dead worker's tasks on sooner; longer saves replays while a burst queues tasks here.
   */
  stickyQueueTimeoutMs: number;
}

export const DEFAULT_WORKER_SIZING: WorkerSizing = {
  cachedWorkflows: 50,
  workflowTaskSlots: 20,
  localActivitySlots: 20,
  stickyQueueTimeoutMs: 10_000,
};

/**
 * The Temporal worker options for a sizing. A restart replays nothing by itself: a sleeping workflow is only
 * replayed when a task for it arrives, at most workflowTaskSlots at a time, into a cache of cachedWorkflows
 * (least recently used idle ones are evicted); further tasks wait on the server.
 */
export function workerOptions(sizing: WorkerSizing): Partial<WorkerOptions> {
  return {
    maxCachedWorkflows: sizing.cachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: sizing.workflowTaskSlots,
    maxConcurrentLocalActivityExecutions: sizing.localActivitySlots,
    stickyQueueScheduleToStartTimeout: sizing.stickyQueueTimeoutMs,
    // Every step is a local activity: nothing to poll the activity task queue for.
    enableNonLocalActivities: false,
  };
}
