import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RotationActivities } from '../activities/types.js';
import { redact } from '../domain/errors.js';
import { folderLabel } from '../domain/folder.js';
import { blamedField, causeChain, failure, FailureType, rootMessage } from '../domain/failures.js';
import { configChangeProblem } from '../domain/rotation-rules.js';
import type { UpdateRotationPatch } from '../domain/rotation-schemas.js';
import { initialRotationState, type RotationConfig, type RotationState, type Slot, toRotationView } from '../domain/rotation-types.js';
import type { RotationView } from '../domain/rotation-view-schemas.js';
import { computeNextRotationAt } from '../domain/schedule.js';
import {
  type Actor,
  type DeleteOptions,
  deleteUpdate,
  getRotationQuery,
  issuedUpdate,
  rotateBothUpdate,
  rotateNowSignal,
  type RotateUpdateOptions,
  rotateUpdate,
  type RotationOutcome,
  type RotationWorkflowInput,
  updateConfigUpdate,
} from './rotation-messages.js';
import { rotationSearchAttributes } from './search-attributes.js';

export * from './rotation-messages.js';

const NON_RETRYABLE = [FailureType.ConfigurationError];
const QUIET_BEFORE_NEW_RUN_MS = 5_000;
/**
 * A run continues as new once its history is this long (~12 events per rotation, so every ~15 rotations), not
 * after every rotation: a new run costs ~10 events and two workflow tasks, and a worker replays a run's history
 * whenever the workflow is not in its cache, so runs stay short, but not one per rotation.
 */
export const MAX_RUN_EVENTS = 200;
/** The actor of rotations nobody asked for (the schedule, issue on create). */
const SCHEDULE_ACTOR = 'rotation';
/** The actor of a message sent without one (straight from a Temporal client). */
const UNNAMED_ACTOR = 'system';

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

/** Work on the target database: bounded retries, so a broken target ends in `failed` instead of hanging. */
const targetDatabase = withStepNames(
  proxyLocalActivities<RotationActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
  }),
);

// Work on the control database: once a password is applied and verified, publishing must not give up
// because of a database blip, so these retry until they succeed (or hit a configuration error).
const controlRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE };
const controlDatabase = withStepNames(proxyLocalActivities<RotationActivities>({ startToCloseTimeout: '30s', retry: controlRetry }));

const iso = (ms: number) => new Date(ms).toISOString();

/** The deepest failure message (the activity's own words), redacted, prefixed with the step that failed. */
function describeFailure(err: unknown): string {
  const step =
    (err as { step?: string }).step ??
    causeChain(err).find((cur): cur is ActivityFailure => cur instanceof ActivityFailure && !!cur.activityType)?.activityType;
  const message = rootMessage(err);
  return redact(step ? `${step}: ${message}` : message);
}

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

/**
 * Numbered rotations, so that a manual request is answered by the rotation that served it: one already
 * running (joined), or the next one.
 */
class RotationLedger {
  private started = 0;
  private finished = 0;
  private readonly failures = new Map<number, string | null>(); // rotation number → failure message (null = success)
  /** A manual rotation asked for and not started yet, with who asked first. */
  requested: { actor: string } | null = null;

  /** The number of the rotation that answers a request made now. */
  ticket(inProgress: boolean): number {
    return inProgress ? this.started : this.started + 1;
  }
  begin(): number {
    return ++this.started;
  }
  end(number: number, failureMessage: string | null): void {
    this.failures.set(number, failureMessage);
    this.finished = number;
  }
  done(number: number): boolean {
    return this.finished >= number;
  }
  failureOf(number: number): string | null {
    return this.failures.get(number) ?? null;
  }
}

/** issuing → issued ⇄ deleting → deleted; issuing → issue-failed (the rotation was removed again). */
type Phase = 'issuing' | 'issued' | 'issue-failed' | 'deleting' | 'deleted';

/** One rotation: its configuration and state, and everything the messages and the schedule do to them. */
class Rotation {
  private config: RotationConfig;
  private readonly state: RotationState;
  private phase: Phase;
  private issueFailure: { message: string; field: string | null; cause?: Error } | null = null;
  private readonly lock = new Lock();
  private readonly ledger = new RotationLedger();
  /** Bumped whenever nextRotationAt moves outside the main loop, so that it recomputes its timer. */
  private scheduleVersion = 0;

  private readonly rotationId: string;

  constructor(input: RotationWorkflowInput) {
    this.rotationId = input.rotationId;
    this.config = input.config;
    this.state = input.state ?? initialRotationState(iso(Date.now()));
    this.phase = input.state ? 'issued' : 'issuing';
  }

  view(): RotationView {
    return toRotationView(this.rotationId, this.config, this.state);
  }

  // ---- messages ---------------------------------------------------------------------------------------

  async waitForIssue(): Promise<RotationView> {
    await condition(() => this.phase !== 'issuing');
    if (this.issueFailure) throw failure(FailureType.IssueFailed, this.issueFailure.message, { details: { field: this.issueFailure.field }, cause: this.issueFailure.cause });
    return this.view();
  }

  /** The signal: a request that cannot be refused, so one that comes too early is dropped (the update says why). */
  requestRotation(): void {
    if (this.closing) return;
    const refusal = this.state.rotationInProgress || this.ledger.requested ? null : this.overlapRefusal(Date.now());
    if (refusal) {
      log.warn(`rotateNow signal ignored: ${refusal.message}`);
      return;
    }
    this.ledger.requested ??= { actor: UNNAMED_ACTOR };
  }

  /**
   * A refusal here is not recorded in history and changes nothing. The options' schema is checked at the edges
   * (API, CLI); here only `force: true` forces, so a malformed option from a raw Temporal client cannot bypass
   * the minimum overlap.
   */
  validateRotate(options: RotateUpdateOptions = {}): void {
    this.rejectIfClosing();
    this.rejectIfNotIssued();
    // Joining a rotation that runs, or one already requested, overwrites nothing more.
    if (options.force === true || this.state.rotationInProgress || this.ledger.requested) return;
    const refusal = this.overlapRefusal(Date.now());
    if (refusal) throw refusal;
  }

  /** Joins the rotation that is running, or asks the main loop for the next one. */
  async rotate(options: RotateUpdateOptions = {}): Promise<RotationView> {
    const wanted = this.ledger.ticket(this.state.rotationInProgress);
    if (!this.state.rotationInProgress) this.ledger.requested ??= { actor: options.actor ?? UNNAMED_ACTOR };
    if (options.wait === false) return this.view();
    await condition(() => this.ledger.done(wanted) || this.phase === 'deleted');
    if (!this.ledger.done(wanted)) throw failure(FailureType.Deleted, 'rotation was deleted');
    const failureMessage = this.ledger.failureOf(wanted);
    if (failureMessage) throw failure(FailureType.RotationFailed, `rotation failed: ${failureMessage}`);
    return this.view();
  }

  validateIncident(): void {
    this.rejectIfClosing();
    this.rejectIfNotIssued();
  }

  async incident({ actor }: Actor = {}): Promise<RotationView> {
    const failureMessage = await this.lock.run(async () => {
      if (this.phase === 'deleted') throw failure(FailureType.Deleted, 'rotation was deleted');
      return this.incidentRotation(actor ?? UNNAMED_ACTOR);
    });
    this.scheduleVersion += 1;
    if (failureMessage) throw failure(FailureType.RotationFailed, `incident rotation failed: ${failureMessage}`);
    return this.view();
  }

  /**
   * The config-change rule only: the patch's schema is checked at the edges (API, CLI) and again by saveConfig
   * (applyConfigPatch), which refuses a malformed patch from a raw Temporal client before anything is stored.
   */
  validatePatch({ actor: _actor, ...patch }: UpdateRotationPatch & Actor): void {
    this.rejectIfClosing();
    const problem = configChangeProblem(this.config, patch);
    if (problem) throw new Error(`${problem.field} ${problem.rule}`);
  }

  async applyPatch({ actor, ...patch }: UpdateRotationPatch & Actor): Promise<RotationView> {
    return this.lock.run(async () => {
      try {
        this.config = await controlDatabase.saveConfig({ rotationId: this.rotationId, patch, actor: actor ?? UNNAMED_ACTOR });
      } catch (err) {
        throw failure(FailureType.InvalidConfig, describeFailure(err), { details: { field: blamedField(err) }, ...(err instanceof Error ? { cause: err } : {}) });
      }
      this.touch();
      this.scheduleVersion += 1;
      await controlDatabase.recordState({ rotationId: this.rotationId, state: this.state });
      return this.view();
    });
  }

  validateDelete(): void {
    this.rejectIfClosing();
  }

  async delete({ actor, deleteSecrets, revokeGeneratedCredentials }: DeleteOptions): Promise<{ deleted: true }> {
    return this.lock.run(async () => {
      this.phase = 'deleting';
      try {
        if (revokeGeneratedCredentials) await targetDatabase.revokeCredentials({ rotationId: this.rotationId });
        await controlDatabase.removeRotation({ rotationId: this.rotationId, deleteSecrets, actor: actor ?? UNNAMED_ACTOR, reason: 'deleted' });
      } catch (err) {
        this.phase = 'issued';
        throw failure(FailureType.DeleteFailed, describeFailure(err));
      }
      this.phase = 'deleted';
      return { deleted: true as const };
    });
  }

  // ---- the run ----------------------------------------------------------------------------------------

  /** Issues the credentials (first run), then rotates on schedule and on request until deleted. */
  async run(): Promise<RotationOutcome> {
    setCurrentDetails(this.details());
    if (this.phase === 'issuing') {
      await this.issue();
      if (this.issueFailure) {
        await condition(allHandlersFinished);
        // A refused create, not a broken workflow: the caller of waitForIssue has the error.
        return { ended: 'issue-failed', message: this.issueFailure.message };
      }
    }
    for (;;) {
      const seen = this.scheduleVersion;
      const now = Date.now();
      const dueIn = this.state.nextRotationAt === null ? Infinity : Math.max(0, Date.parse(this.state.nextRotationAt) - now);
      // A long run continues as new, so history stays bounded however long the rotation lives; but only after a
      // quiet moment, so that a message sent right after a rotation is not caught by the switch.
      const { historyLength, continueAsNewSuggested } = workflowInfo();
      const newRunWanted = continueAsNewSuggested || historyLength >= MAX_RUN_EVENTS;
      const timeout = Math.min(dueIn, newRunWanted ? QUIET_BEFORE_NEW_RUN_MS : Infinity);
      const wake = () => this.phase === 'deleted' || this.ledger.requested !== null || this.scheduleVersion !== seen;
      const woke = timeout === Infinity ? await condition(wake).then(() => true) : await condition(wake, timeout);

      if (this.phase === 'deleted') {
        await condition(allHandlersFinished);
        return { ended: 'deleted' };
      }
      if (this.ledger.requested) {
        const { actor } = this.ledger.requested;
        this.ledger.requested = null;
        await this.lock.run(() => this.scheduledOrManualRotation(actor));
      } else if (!woke && Date.now() - now >= dueIn) {
        // Still due once the lock is ours: an incident rotation or a pause that held the lock may have moved it.
        await this.lock.run(async () => {
          const dueAt = this.state.nextRotationAt;
          if (dueAt !== null && Date.parse(dueAt) <= Date.now()) await this.scheduledOrManualRotation(SCHEDULE_ACTOR, dueAt);
        });
      } else if (!woke && newRunWanted && !this.lock.busy && allHandlersFinished()) {
        await continueAsNew<typeof postgresCredentialsRotation>({ rotationId: this.rotationId, config: this.config, state: this.state });
      }
    }
  }

  /**
   * Both roles get fresh passwords (invalidating the temporary ones typed into CREATE ROLE), then slot 0 is
   * published. Any failure removes the rotation again: no half-created rotation remains.
   */
  private async issue(): Promise<void> {
    let preflightError: Error | undefined;
    const failureMessage = await this.lock.run(() =>
      this.attempt(async () => {
        try {
          await targetDatabase.preflight({ rotationId: this.rotationId });
        } catch (err) {
          // It may blame a role the request named: the caller's input to fix.
          if (err instanceof Error) preflightError = err;
          throw err;
        }
        await this.giveSlotNewPassword(1, false, SCHEDULE_ACTOR);
        await this.giveSlotNewPassword(0, true, SCHEDULE_ACTOR, () => ({ activeIndex: 0 }));
      }),
    );
    if (failureMessage === null) {
      this.phase = 'issued';
      return;
    }
    await controlDatabase.removeRotation({ rotationId: this.rotationId, deleteSecrets: true, actor: SCHEDULE_ACTOR, reason: 'issue failed' });
    this.issueFailure = { message: `issuing credentials failed: ${failureMessage}`, field: blamedField(preflightError), cause: preflightError };
    this.phase = 'issue-failed';
  }

  /** `dueAt`: the scheduled instant that started this rotation (absent for manual rotations). */
  private async scheduledOrManualRotation(actor: string, dueAt?: string): Promise<void> {
    if (this.phase === 'deleted' || this.state.activeIndex === null) return;
    const slot = otherSlot(this.state.activeIndex);
    await this.numbered(() =>
      this.giveSlotNewPassword(slot, true, actor, (publishedAt) => ({
        activeIndex: slot,
        inactiveRetiredAt: publishedAt, // the pair published before is the inactive one from now on
        lastScheduledFor: dueAt ?? null,
      })),
    );
  }

  /**
   * Both roles get fresh passwords. The inactive slot goes first and is published: the mapped secrets then hold
   * a new pair that logs in, while the old active role still works (I1). Only then does the old active role get
   * its new password, which is stored but not published, so the mapped secrets change once and activeIndex
   * ends on the first slot. Its pair stays valid for the next full interval (I2); the second slot's fresh
   * password has never been published, so the next rotation may overwrite it at once.
   */
  private async incidentRotation(actor: string): Promise<string | null> {
    const first = otherSlot(this.state.activeIndex ?? 1);
    const second = otherSlot(first);
    let firstDone = false;
    return this.numbered(
      async () => {
        await this.giveSlotNewPassword(first, true, actor);
        // Published: the mapped secrets hold the first slot's new pair from now on.
        firstDone = true;
        this.state.activeIndex = first;
        this.state.lastRotatedAt = iso(Date.now());
        this.state.lastScheduledFor = null;
        this.state.inactiveRetiredAt = this.state.lastRotatedAt;
        // The second slot's new password is never published, so nobody depends on it.
        await this.giveSlotNewPassword(second, false, actor, () => ({ activeIndex: first, inactiveRetiredAt: null }));
      },
      () =>
        firstDone
          ? `half done: "${this.roleOf(first)}" has a new password and is published, but "${this.roleOf(second)}" may still ` +
            `have its old one; run a rotation (or the incident rotation again) to replace it. `
          : '',
    );
  }

  /** One numbered rotation (manual callers join by number); the caller holds the lock. */
  private async numbered(work: () => Promise<void>, context?: () => string): Promise<string | null> {
    const number = this.ledger.begin();
    const failureMessage = await this.attempt(work, context);
    // Callers waiting on this rotation are answered from workflow state (the source of truth). A success was
    // recorded for listings by its publish; a failure has no publish to carry it.
    this.ledger.end(number, failureMessage);
    if (failureMessage !== null) await controlDatabase.recordState({ rotationId: this.rotationId, state: this.state });
    return failureMessage;
  }

  /**
   * Runs `work` as one attempt; `context` may prefix a failure with what was done before it. A success ends
   * with a publish that carries the state after it (giveSlotNewPassword with `outcome`); a failure is set here.
   */
  private async attempt(work: () => Promise<void>, context: () => string = () => ''): Promise<string | null> {
    const { state } = this;
    state.rotationInProgress = true;
    state.lastRotationAttemptedAt = iso(Date.now());
    try {
      await work();
      return null;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const failureMessage = redact(context() + describeFailure(err));
      Object.assign(state, {
        rotationStatus: 'failed',
        lastFailedAt: iso(Date.now()),
        lastRotationMessage: failureMessage,
        rotationInProgress: false,
        lastRotationJobId: workflowInfo().runId,
      });
      this.touch();
      return failureMessage;
    }
  }

  /**
   * The rotation steps for one slot: stage → apply → verify → publish. `outcome`: this is the attempt's last
   * step, and its success makes these changes (given the instant of the publish); the publish then records the
   * resulting state for listings in its own transaction (no separate write, no extra workflow task).
   */
  private async giveSlotNewPassword(slot: Slot, activate: boolean, actor: string, outcome?: (publishedAt: string) => Partial<RotationState>): Promise<void> {
    this.state.generation += 1;
    const ref = { rotationId: this.rotationId, slot, generation: this.state.generation };
    await targetDatabase.stagePassword(ref);
    await targetDatabase.applyPassword(ref);
    await targetDatabase.verifyLogin(ref);
    const publishedAt = iso(Date.now());
    const after = outcome && this.succeeded(publishedAt, outcome(publishedAt));
    await controlDatabase.publish({ ...ref, activate, actor, ...(after ? { state: after } : {}) });
    if (after) {
      Object.assign(this.state, after);
      this.showState();
    }
  }

  /** The state once the running attempt has succeeded at `at` with `changes`. */
  private succeeded(at: string, changes: Partial<RotationState>): RotationState {
    return this.rescheduled({
      ...this.state,
      rotationStatus: 'success',
      lastRotatedAt: at,
      lastFailedAt: null,
      lastRotationMessage: null,
      rotationInProgress: false,
      lastRotationJobId: workflowInfo().runId,
      ...changes,
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------------

  /** Deleted, being deleted, or removed again because issuing failed: nothing more may start. */
  private get closing(): boolean {
    return this.phase === 'deleting' || this.phase === 'deleted' || this.phase === 'issue-failed';
  }

  private rejectIfClosing(): void {
    if (this.phase === 'issue-failed') throw new Error('issuing the credentials failed; the rotation was removed');
    if (this.closing) throw new Error('rotation is being deleted');
  }

  private rejectIfNotIssued(): void {
    if (this.phase !== 'issued' || this.state.activeIndex === null) throw new Error('credentials are still being issued');
  }

  private roleOf(slot: Slot): string {
    return slot === 0 ? this.config.parameters.username1 : this.config.parameters.username2;
  }

  /**
   * Why a manual rotation starting now must wait, or null. It overwrites the inactive slot's password, which
   * was the published pair until `inactiveRetiredAt` (apps may still hold it); a password that was never
   * published (after issue or an incident rotation) has no holders to protect.
   */
  private overlapRefusal(now: number) {
    const minimum = this.config.minimumOverlapSeconds;
    const retiredAt = this.state.inactiveRetiredAt;
    if (minimum <= 0 || retiredAt === null || this.state.activeIndex === null) return null;
    const allowedAt = Date.parse(retiredAt) + minimum * 1000;
    if (now >= allowedAt) return null;
    const slot = otherSlot(this.state.activeIndex);
    return failure(
      FailureType.MinimumOverlap,
      `rotation refused: it would overwrite the password of "${this.roleOf(slot)}" (slot ${slot}), which was the active ` +
        `credential until ${retiredAt}, less than minimumOverlapSeconds (${minimum} s) ago, so applications may still ` +
        `use it. Allowed from ${iso(allowedAt)} on; rotate with force (API body {"force": true}, CLI --force) to do it now anyway.`,
      { details: { allowedAt: iso(allowedAt), minimumOverlapSeconds: minimum, retiredAt } },
    );
  }

  private touch(): void {
    Object.assign(this.state, this.rescheduled(this.state));
    this.showState();
  }

  /** `state` with updatedAt and nextRotationAt for now. A scheduled rotation counts from when it was due, not from the moment it finished (see lastScheduledFor). */
  private rescheduled(state: RotationState): RotationState {
    const { config } = this;
    const base = state.lastScheduledFor ?? state.lastRotatedAt;
    const next = computeNextRotationAt({
      rotationId: this.rotationId,
      isAutoRotationEnabled: config.isAutoRotationEnabled,
      rotationInterval: config.rotationInterval,
      rotateAtUtc: config.rotateAtUtc,
      rotationWindowMinutes: config.rotationWindowMinutes,
      lastRotatedAt: base === null ? null : Date.parse(base),
      createdAt: Date.parse(config.createdAt),
      lastFailedAt: state.lastFailedAt ? Date.parse(state.lastFailedAt) : null,
    });
    return { ...state, updatedAt: iso(Date.now()), nextRotationAt: next === null ? null : iso(next) };
  }

  /** The state where the Temporal UI shows it: the run's details and the search attributes. */
  private showState(): void {
    this.publishSearchAttributes();
    setCurrentDetails(this.details());
  }

  /**
   * Only where the starter set the project attribute, which it does only when the namespace has them registered;
   * and only the attributes whose value changed (each upsert is a history event).
   */
  private publishSearchAttributes(): void {
    const { projectId, status, nextAt } = rotationSearchAttributes;
    const current = workflowInfo().typedSearchAttributes;
    if (current.get(projectId) === undefined) return;
    const nextRotationAt = this.state.nextRotationAt ? new Date(this.state.nextRotationAt) : null;
    const changes = [
      ...(current.get(status) === this.state.rotationStatus ? [] : [{ key: status, value: this.state.rotationStatus }]),
      ...((current.get(nextAt)?.getTime() ?? null) === (nextRotationAt?.getTime() ?? null) ? [] : [{ key: nextAt, value: nextRotationAt }]),
    ];
    if (changes.length > 0) upsertSearchAttributes(changes);
  }

  /** What the Temporal UI shows for this run (the start's static summary is not carried over continue-as-new). */
  private details(): string {
    const { config, state } = this;
    return [
      `**${config.name}** in ${folderLabel(config.environment.slug, config.folder.path)}`,
      `roles ${config.parameters.username1}, ${config.parameters.username2}; active slot ${state.activeIndex ?? '–'}`,
      `status ${state.rotationStatus}; next rotation ${state.nextRotationAt ?? 'none scheduled'}`,
    ].join('\n\n');
  }
}

const otherSlot = (slot: Slot): Slot => (slot === 0 ? 1 : 0);

export async function postgresCredentialsRotation(input: RotationWorkflowInput): Promise<RotationOutcome> {
  const rotation = new Rotation(input);
  setHandler(getRotationQuery, () => rotation.view());
  setHandler(issuedUpdate, () => rotation.waitForIssue());
  setHandler(rotateNowSignal, () => rotation.requestRotation());
  setHandler(rotateUpdate, (options) => rotation.rotate(options), { validator: (options) => rotation.validateRotate(options) });
  setHandler(rotateBothUpdate, (actor) => rotation.incident(actor), { validator: (_actor) => rotation.validateIncident() });
  setHandler(updateConfigUpdate, (patch) => rotation.applyPatch(patch), { validator: (patch) => rotation.validatePatch(patch) });
  setHandler(deleteUpdate, (options) => rotation.delete(options), { validator: (_options) => rotation.validateDelete() });
  return rotation.run();
}
