import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  patched,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { RotationActivities } from '../activities/types.js';
import { redact } from '../domain/errors.js';
import { minimumOverlapProblem } from '../domain/rotation-config.js';
import { formatZodError, rotateOptionsSchema, updateRotationSchema } from '../domain/rotation-schemas.js';
import {
  initialRotationState,
  minimumOverlapOf,
  type RotationState,
  type Slot,
  toRotationView,
} from '../domain/rotation-types.js';
import { computeNextRotationAt } from '../domain/schedule.js';
import {
  deleteUpdate,
  getRotationQuery,
  issuedUpdate,
  MINIMUM_OVERLAP_FAILURE,
  rotateBothUpdate,
  rotateNowSignal,
  type RotateUpdateOptions,
  rotateWithOptionsUpdate,
  type RotationWorkflowInput,
  updateConfigUpdate,
} from './rotation-messages.js';

export * from './rotation-messages.js';

const NON_RETRYABLE = ['ConfigurationError'];
const QUIET_BEFORE_NEW_RUN_MS = 5_000;

/** Local activity failures do not carry their activity type: tag each failure with the step that failed. */
function withStepNames<T extends object>(activities: T): T {
  return new Proxy(activities, {
    get: (acts, name) => async (...args: unknown[]) => {
      try {
        return await (acts as Record<PropertyKey, (...a: unknown[]) => Promise<unknown>>)[name]!(...args);
      } catch (err) {
        if (err instanceof Error) Object.assign(err, { step: String(name) });
        throw err;
      }
    },
  });
}

// The rotation steps are short database calls, so they run as local activities: in the worker that runs the
// workflow, without a server round trip per step. Every step is idempotent, so a worker that dies mid-rotation
// is safe: the next worker replays the workflow and repeats the steps since the last completed workflow task.

// Work on the target database: bounded retries, so a broken target ends in `failed` instead of hanging.
const target = withStepNames(
  proxyLocalActivities<RotationActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
  }),
);

// Work on the control database: once a password is applied and verified, publishing must not give up
// because of a database blip, so these retry until they succeed (or hit a configuration error).
const storeRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE };
const store = withStepNames(proxyLocalActivities<RotationActivities>({ startToCloseTimeout: '30s', retry: storeRetry }));

// The control database's copy of the state, for listings: a regular activity, so that answering a caller
// never waits for it.
const snapshot = proxyActivities<RotationActivities>({ startToCloseTimeout: '30s', retry: storeRetry });

/** Serialises rotations, config changes and deletion inside one rotation workflow. */
class Lock {
  private held = false;
  get busy(): boolean {
    return this.held;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !this.held);
    this.held = true;
    try {
      return await fn();
    } finally {
      this.held = false;
    }
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

const projectIdKey = defineSearchAttributeKey('PgRotationProjectId', SearchAttributeType.KEYWORD);
const statusKey = defineSearchAttributeKey('PgRotationStatus', SearchAttributeType.KEYWORD);
const nextAtKey = defineSearchAttributeKey('PgRotationNextAt', SearchAttributeType.DATETIME);

/**
 * Makes status and next run filterable in the Temporal UI. Only where the starter set the project attribute,
 * which it does only when the namespace has these attributes registered (an unregistered key fails the task).
 */
function publishSearchAttributes(state: RotationState): void {
  if (workflowInfo().typedSearchAttributes.get(projectIdKey) === undefined) return;
  upsertSearchAttributes([
    { key: statusKey, value: state.rotationStatus },
    { key: nextAtKey, value: state.nextRotationAt ? new Date(state.nextRotationAt) : null },
  ]);
}

/** The request field a configuration error blames (sent by the activity as its failure details). */
function blamedField(err: unknown): string | null {
  for (let cur: unknown = err; cur instanceof Error; cur = (cur as { cause?: unknown }).cause) {
    if (cur instanceof ApplicationFailure && typeof cur.details?.[1] === 'string') return cur.details[1];
  }
  return null;
}

/** The deepest failure message (the activity's own words), redacted, prefixed with the step that failed. */
function describeFailure(err: unknown): string {
  let step = (err as { step?: string }).step ?? '';
  let cur: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (cur instanceof Error) {
    if (!step && cur instanceof ActivityFailure && cur.activityType) step = cur.activityType;
    message = cur.message || message;
    cur = (cur as { cause?: unknown }).cause;
  }
  return redact(step ? `${step}: ${message}` : message);
}

export async function postgresCredentialsRotation(input: RotationWorkflowInput): Promise<void> {
  const { rotationId } = input;
  let config = input.config;
  const state: RotationState = input.state ?? initialRotationState(iso(Date.now()));
  const lock = new Lock();

  let issueDone = input.state !== undefined;
  let issueError: string | null = null;
  let issueField: string | null = null;
  let manualRequested = false;
  let rotationsStarted = 0;
  let rotationsFinished = 0;
  const outcomes = new Map<number, string | null>(); // rotation number → failure message (null = success)
  let rotatedThisRun = false;
  let scheduleVersion = 0;
  let deleting = false;
  let deleted = false;

  const view = () => toRotationView(rotationId, config, state);
  const touch = () => {
    state.updatedAt = iso(Date.now());
    state.nextRotationAt = nextAt();
  };
  // A scheduled rotation counts from when it was due, not from the moment it finished (see lastScheduledFor).
  const intervalBase = () => state.lastScheduledFor ?? state.lastRotatedAt;
  const nextAt = () => {
    const next = computeNextRotationAt({
      isAutoRotationEnabled: config.isAutoRotationEnabled,
      rotationInterval: config.rotationInterval,
      rotateAtUtc: config.rotateAtUtc,
      lastRotatedAt: intervalBase() === null ? null : Date.parse(intervalBase()!),
      createdAt: Date.parse(config.createdAt),
      lastFailedAt: state.lastFailedAt ? Date.parse(state.lastFailedAt) : null,
    });
    return next === null ? null : iso(next);
  };
  const rejectIfClosing = () => {
    if (deleting || deleted) throw new Error('rotation is being deleted');
  };
  const rejectIfNotIssued = () => {
    if (!issueDone || state.activeIndex === null) throw new Error('credentials are still being issued');
  };
  const roleOf = (slot: Slot) => (slot === 0 ? config.parameters.username1 : config.parameters.username2);

  /**
   * Why a manual rotation starting now must wait, or null. It overwrites the inactive slot's password, which
   * was the published pair until `inactiveRetiredAt` (apps may still hold it); a password that was never
   * published (after issue or an incident rotation) has no holders to protect.
   */
  const overlapRefusal = (now: number): ApplicationFailure | null => {
    const minimum = minimumOverlapOf(config);
    const retiredAt = state.inactiveRetiredAt === undefined ? state.lastRotatedAt : state.inactiveRetiredAt;
    if (minimum <= 0 || retiredAt === null || state.activeIndex === null) return null;
    const allowedAt = Date.parse(retiredAt) + minimum * 1000;
    if (now >= allowedAt) return null;
    const slot: Slot = state.activeIndex === 0 ? 1 : 0;
    return ApplicationFailure.create({
      type: MINIMUM_OVERLAP_FAILURE,
      nonRetryable: true,
      message:
        `rotation refused: it would overwrite the password of "${roleOf(slot)}" (slot ${slot}), which was the active ` +
        `credential until ${retiredAt}, less than minimumOverlapSeconds (${minimum} s) ago, so applications may still ` +
        `use it. Allowed from ${iso(allowedAt)} on; rotate with force (API body {"force": true}, CLI --force) to do it now anyway.`,
      details: [iso(allowedAt), minimum, retiredAt],
    });
  };

  setHandler(getRotationQuery, view);

  setHandler(issuedUpdate, async () => {
    await condition(() => issueDone);
    if (issueError !== null) {
      throw ApplicationFailure.create({ message: issueError, type: 'IssueFailed', nonRetryable: true, details: [issueField] });
    }
    return view();
  });

  setHandler(rotateNowSignal, () => {
    if (deleting || deleted) return;
    // A signal cannot be refused: one that comes too early is dropped (callers that want the reason use the update).
    const refusal = state.rotationInProgress || manualRequested ? null : overlapRefusal(Date.now());
    if (refusal) {
      log.warn(`rotateNow signal ignored: ${refusal.message}`);
      return;
    }
    manualRequested = true;
  });

  setHandler(
    rotateWithOptionsUpdate,
    async (options?: RotateUpdateOptions) => {
      // Join a rotation that is already running; otherwise ask for the next one.
      const wanted = state.rotationInProgress ? rotationsStarted : rotationsStarted + 1;
      if (!state.rotationInProgress) manualRequested = true;
      if (options?.wait === false) return view();
      await condition(() => rotationsFinished >= wanted || deleted);
      if (deleted && rotationsFinished < wanted) throw ApplicationFailure.nonRetryable('rotation was deleted', 'Deleted');
      const failure = outcomes.get(wanted);
      if (failure) throw ApplicationFailure.nonRetryable(`rotation failed: ${failure}`, 'RotationFailed');
      return view();
    },
    {
      // A refusal here is not recorded in history and changes nothing.
      validator: (options?: RotateUpdateOptions) => {
        rejectIfClosing();
        rejectIfNotIssued();
        const { wait: _wait, ...rest } = options ?? {};
        const parsed = rotateOptionsSchema.safeParse(rest);
        if (!parsed.success) throw new Error(formatZodError(parsed.error).message);
        // Joining a rotation that runs, or one already requested, overwrites nothing more.
        if (parsed.data.force || state.rotationInProgress || manualRequested) return;
        const refusal = overlapRefusal(Date.now());
        if (refusal) throw refusal;
      },
    },
  );

  setHandler(
    rotateBothUpdate,
    async (input?: { actor?: string }) => {
      const { failure } = await lock.run(async () => {
        if (deleted) throw ApplicationFailure.nonRetryable('rotation was deleted', 'Deleted');
        return incidentRotation(input?.actor ?? 'rotation');
      });
      scheduleVersion += 1; // nextRotationAt moved: the main loop recomputes its timer
      if (failure) throw ApplicationFailure.nonRetryable(`incident rotation failed: ${failure}`, 'RotationFailed');
      return view();
    },
    {
      validator: (_input) => {
        rejectIfClosing();
        rejectIfNotIssued();
      },
    },
  );

  setHandler(
    updateConfigUpdate,
    async ({ actor, ...patch }) =>
      lock.run(async () => {
        try {
          config = await store.saveConfig({ rotationId, patch, actor: actor ?? 'system' });
        } catch (err) {
          throw ApplicationFailure.nonRetryable(describeFailure(err), 'InvalidConfig');
        }
        touch();
        publishSearchAttributes(state);
        scheduleVersion += 1;
        await snapshot.recordState({ rotationId, state });
        return view();
      }),
    {
      validator: ({ actor: _actor, ...patch }) => {
        rejectIfClosing();
        const parsed = updateRotationSchema.safeParse(patch);
        if (!parsed.success) throw new Error(formatZodError(parsed.error).message);
        const overlap = minimumOverlapProblem(config, parsed.data);
        if (overlap) throw new Error(`${overlap.field} ${overlap.rule}`);
      },
    },
  );

  setHandler(
    deleteUpdate,
    async ({ actor, deleteSecrets, revokeGeneratedCredentials }) =>
      lock.run(async () => {
        deleting = true;
        try {
          if (revokeGeneratedCredentials) await target.revokeCredentials({ rotationId });
          await store.removeRotation({ rotationId, deleteSecrets, actor: actor ?? 'system', reason: 'deleted' });
        } catch (err) {
          deleting = false;
          throw ApplicationFailure.nonRetryable(describeFailure(err), 'DeleteFailed');
        }
        deleted = true;
        return { deleted: true as const };
      }),
    { validator: (_options) => rejectIfClosing() },
  );

  /** stage → apply → verify → publish for one slot. */
  async function giveSlotNewPassword(slot: Slot, activate: boolean, actor = 'rotation'): Promise<void> {
    state.generation += 1;
    const ref = { rotationId, slot, generation: state.generation };
    await target.stagePassword(ref);
    await target.applyPassword(ref);
    await target.verifyLogin(ref);
    await store.publish({ ...ref, activate, actor });
  }

  /** `context` may prefix the failure message with what the work had done before it failed. */
  async function attempt(work: () => Promise<Slot>, context: () => string = () => ''): Promise<string | null> {
    const started = Date.now();
    state.rotationInProgress = true;
    state.lastRotationAttemptedAt = iso(started);
    let failure: string | null = null;
    try {
      state.activeIndex = await work();
      state.rotationStatus = 'success';
      state.lastRotatedAt = iso(Date.now());
      state.lastFailedAt = null;
      state.lastRotationMessage = null;
    } catch (err) {
      if (isCancellation(err)) throw err;
      failure = redact(context() + describeFailure(err));
      state.rotationStatus = 'failed';
      state.lastFailedAt = iso(Date.now());
      state.lastRotationMessage = failure;
    }
    state.rotationInProgress = false;
    state.lastRotationJobId = workflowInfo().runId;
    touch();
    publishSearchAttributes(state);
    return failure;
  }

  /** One numbered rotation (manual callers join by number); the caller holds the lock. */
  async function runRotation(work: () => Promise<Slot>, context?: () => string): Promise<{ failure: string | null }> {
    rotationsStarted += 1;
    const number = rotationsStarted;
    const failure = await attempt(work, context);
    // Callers waiting on this rotation are answered from workflow state (the source of truth) right away;
    // the control database's copy for listings follows.
    outcomes.set(number, failure);
    rotationsFinished = number;
    await snapshot.recordState({ rotationId, state });
    rotatedThisRun = true;
    return { failure };
  }

  /** `dueAt`: the scheduled instant that started this rotation (absent for manual rotations). */
  async function rotate(dueAt?: string): Promise<void> {
    if (deleted || state.activeIndex === null) return;
    const slot: Slot = state.activeIndex === 0 ? 1 : 0;
    await runRotation(async () => {
      await giveSlotNewPassword(slot, true);
      state.inactiveRetiredAt = iso(Date.now()); // the pair published before is the inactive one from now on
      state.lastScheduledFor = dueAt ?? null;
      return slot;
    });
  }

  /**
   * Both roles get fresh passwords. The inactive slot goes first and is published: the mapped secrets then hold
   * a new pair that logs in, while the old active role still works (I1). Only then does the old active role get
   * its new password, which is stored but not published, so the mapped secrets change once and activeIndex
   * ends on the first slot. Its pair stays valid for the next full interval (I2); the second slot's fresh
   * password has never been published, so the next rotation may overwrite it at once.
   */
  async function incidentRotation(actor: string): Promise<{ failure: string | null }> {
    const first: Slot = state.activeIndex === 0 ? 1 : 0;
    const second: Slot = first === 0 ? 1 : 0;
    let firstDone = false;
    return runRotation(
      async () => {
        await giveSlotNewPassword(first, true, actor);
        // Published: the mapped secrets hold the first slot's new pair from now on.
        firstDone = true;
        state.activeIndex = first;
        state.lastRotatedAt = iso(Date.now());
        state.lastScheduledFor = null;
        state.inactiveRetiredAt = state.lastRotatedAt;
        await giveSlotNewPassword(second, false, actor);
        state.inactiveRetiredAt = null; // the second slot's new password was never published
        return first;
      },
      () =>
        firstDone
          ? `half done: "${roleOf(first)}" has a new password and is published, but "${roleOf(second)}" may still ` +
            `have its old one; run a rotation (or the incident rotation again) to replace it. `
          : '',
    );
  }

  if (!issueDone) {
    // Issue: both roles get fresh passwords (invalidating the temporary ones typed into CREATE ROLE),
    // then slot 0 is published. Any failure removes the rotation again: no half-created rotation remains.
    issueError = await lock.run(() =>
      attempt(async () => {
        try {
          await target.preflight({ rotationId });
        } catch (err) {
          issueField = blamedField(err); // a role the request named: the caller's input to fix
          throw err;
        }
        await giveSlotNewPassword(1, false);
        await giveSlotNewPassword(0, true);
        return 0;
      }),
    );
    if (issueError === null) await snapshot.recordState({ rotationId, state });
    else {
      await store.removeRotation({ rotationId, deleteSecrets: true, actor: 'rotation', reason: 'issue failed' });
    }
    issueDone = true;
    if (issueError !== null) {
      await condition(allHandlersFinished);
      throw ApplicationFailure.create({ message: `issuing credentials failed: ${issueError}`, type: 'IssueFailed', nonRetryable: true, details: [issueField] });
    }
  }

  for (;;) {
    const seen = scheduleVersion;
    const now = Date.now();
    const dueIn = state.nextRotationAt === null ? Infinity : Math.max(0, Date.parse(state.nextRotationAt) - now);
    // After a rotation the run continues as new, so history stays bounded however long the rotation lives;
    // but only after a quiet moment, so that a message sent right after a rotation is not caught by the switch.
    const newRunWanted = rotatedThisRun || workflowInfo().continueAsNewSuggested;
    const timeout = Math.min(dueIn, newRunWanted ? QUIET_BEFORE_NEW_RUN_MS : Infinity);
    const wake = () => deleted || manualRequested || scheduleVersion !== seen;
    const woke = timeout === Infinity ? await condition(wake).then(() => true) : await condition(wake, timeout);

    if (deleted) {
      await condition(allHandlersFinished);
      return;
    }
    if (manualRequested) {
      manualRequested = false;
      await lock.run(rotate);
    } else if (!woke && Date.now() - now >= dueIn) {
      // Still due once the lock is ours: an incident rotation or a pause that held the lock may have moved it.
      const stillDue = () => state.nextRotationAt !== null && Date.parse(state.nextRotationAt) <= Date.now();
      await lock.run(async () => {
        if (!patched('recheck-due-under-lock') || stillDue()) await rotate(state.nextRotationAt ?? undefined);
      });
    } else if (!woke && newRunWanted && !lock.busy && allHandlersFinished()) {
      await continueAsNew<typeof postgresCredentialsRotation>({ rotationId, config, state });
    }
  }
}
