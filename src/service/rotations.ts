import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { blamedField, configurationFix, findFailure, FailureType, rootMessage } from '../domain/failures.js';
import { folderLabel } from '../domain/folder.js';
import { newRotationConfig } from '../domain/rotation-config.js';
import { type ConfigChangeProblem, configChangeProblem } from '../domain/rotation-rules.js';
import type { CreateRotationInput, DeleteRotationOptions, ListRotationsQuery, RotateOptions, RotationNameQuery, UpdateRotationPatch } from '../domain/rotation-schemas.js';
import { initialRotationState, type RotationConfig, type RotationState, toRotationView } from '../domain/rotation-types.js';
import type { GeneratedCredentials, RotationView } from '../domain/rotation-view-schemas.js';
import { recordAudit } from '../store/audit.js';
import { getConnection } from '../store/connections.js';
import { isUniqueViolation, withTransaction } from '../store/db.js';
import { readCurrentCredentials } from '../store/credentials.js';
import { nameTaken, nameTakenProblem, rotationFolder, secretNamesTaken } from '../store/rotation-conflicts.js';
import { countRotations, deleteRotationRow, ensureFolder, findFolder, findRotationByName, getRotation, insertRotation, listRotations, type RotationRecord } from '../store/rotations.js';
import {
  deleteUpdate,
  getRotationQuery,
  issuedUpdate,
  rotateBothUpdate,
  rotateUpdate,
  rotationWorkflowId,
  TASK_QUEUE,
  updateConfigUpdate,
  WORKFLOW_TYPE,
} from '../workflows/rotation-messages.js';
import { rotationSearchAttributes } from '../workflows/search-attributes.js';
import { claimRotationRoles } from './connections.js';
import type { ServiceContext } from './context.js';
import { requireEnvironment, requireProject } from './projects.js';
import { fieldError, ServiceError, type ServiceErrorKind } from './errors.js';

async function hasSearchAttributes(ctx: ServiceContext): Promise<boolean> {
  try {
    const res = await ctx.temporal.connection.operatorService.listSearchAttributes({ namespace: ctx.temporal.options.namespace });
    return Object.prototype.hasOwnProperty.call(res.customAttributes ?? {}, rotationSearchAttributes.projectId.name);
  } catch {
    return false;
  }
}

const problemError = (kind: ServiceErrorKind, p: ConfigChangeProblem) => fieldError(kind, p.field, p.rule);

/**
 * What the Temporal UI lists for the workflow, so that a user finds their rotation there (never a password:
 * names only).
 */
function workflowSummary(config: RotationConfig, projectName: string): { staticSummary: string; staticDetails: string } {
  const { username1, username2 } = config.parameters;
  return {
    staticSummary: `${projectName} / ${folderLabel(config.environment.slug, config.folder.path)} / ${config.name} (roles ${username1}, ${username2})`,
    staticDetails: [
      `**Rotation** ${config.name}`,
      `**Project** ${projectName} (${config.projectId})`,
      `**Environment and folder** ${folderLabel(config.environment.slug, config.folder.path)}`,
      `**Roles** ${username1}, ${username2}`,
      `**Connection** ${config.connection.name}`,
      `**Mapped secrets** ${config.secretsMapping.username}, ${config.secretsMapping.password}`,
    ].join('\n\n'),
  };
}

/**
 * Checks a parsed request against the control database (project, environment, connection, names taken), records
 * the rotation, and starts its workflow, which checks the target and issues both credentials before this returns.
 * If issuing fails the workflow removes the rotation again, and the error says why.
 */
export async function createRotation(ctx: ServiceContext, input: CreateRotationInput, actor: string): Promise<RotationView> {
  const id = randomUUID();
  const where = { where: folderLabel(input.environment, input.secretPath) };
  let created: { config: RotationConfig; projectName: string };
  try {
    created = await withTransaction(ctx.db.pool, async (tx) => {
      const project = await requireProject(tx, input.projectId);
      const environment = await requireEnvironment(tx, input.projectId, input.environment);
      const connection = await getConnection(tx, input.connectionId);
      if (!connection || connection.projectId !== input.projectId) {
        throw fieldError('not-found', 'connectionId', `must name a connection of project ${input.projectId}: ${input.connectionId} not found`);
      }
      const folder = { folderId: await ensureFolder(tx, input.projectId, input.environment, input.secretPath), ...where };
      const conflict = (await nameTaken(tx, folder, input.name, null)) ?? (await secretNamesTaken(tx, folder, input.secretsMapping, null));
      if (conflict) throw problemError('conflict', conflict);
      const config = newRotationConfig(input, {
        folderId: folder.folderId,
        environment,
        connectionName: connection.name,
        now: new Date().toISOString(),
      });
      await insertRotation(tx, id, config);
      await claimRotationRoles(ctx, tx, connection, id, input.parameters);
      await recordAudit(tx, { actor, action: 'rotation.created', projectId: input.projectId, rotationId: id, details: { name: input.name } });
      return { config, projectName: project.name };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw problemError('conflict', nameTakenProblem(where, input.name));
    throw err;
  }

  const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
    workflowId: rotationWorkflowId(id),
    taskQueue: TASK_QUEUE,
    args: [{ rotationId: id, config: created.config }],
    workflowIdConflictPolicy: 'FAIL',
    ...workflowSummary(created.config, created.projectName),
    ...((await hasSearchAttributes(ctx)) ? { typedSearchAttributes: [{ key: rotationSearchAttributes.projectId, value: input.projectId }] } : {}),
  });
  try {
    return await ctx.temporal.workflow.executeUpdateWithStart(issuedUpdate, { startWorkflowOperation });
  } catch (err) {
    let started = true;
    try {
      await startWorkflowOperation.workflowHandle();
    } catch {
      started = false;
    }
    // Not started: nothing ran, remove the record ourselves. Started: the workflow removed it already.
    if (!started) await deleteRotationRow(ctx.db.pool, id);
    if (err instanceof WorkflowUpdateFailedError) {
      // Preflight blamed a field of the request (a role that is missing, a superuser, …): that is bad input.
      // The activity's own words (the failure's cause) are the rule; the field travels in the details, the fix
      // (when the failure knows it) in `fix`.
      const field = blamedField(err);
      const fixed = configurationFix(err);
      if (field) throw fieldError('validation', field, fixed?.problem ?? rootMessage(err), fixed?.fix);
      throw new ServiceError('failed', `creating the rotation failed: ${rootMessage(err)}`, [], fixed?.fix);
    }
    throw new ServiceError('unavailable', `creating the rotation failed: ${rootMessage(err)}`);
  }
}

function pendingState(r: RotationRecord): RotationState {
  return { ...initialRotationState(r.config.updatedAt), rotationInProgress: r.lifecycle === 'issuing' };
}

const viewOf = (r: RotationRecord) => toRotationView(r.id, r.config, r.state ?? pendingState(r));

/** A rotation by id, or the record a caller already read (an API route reads it once, to authorize). */
export type RotationRef = string | RotationRecord;

/** The rotation's row, or a not-found error naming `rotationId`. */
export async function requireRotation(ctx: ServiceContext, ref: RotationRef): Promise<RotationRecord> {
  if (typeof ref !== 'string') return ref;
  const r = /^[0-9a-f-]{36}$/i.test(ref) ? await getRotation(ctx.db.pool, ref) : null;
  if (!r) throw fieldError('not-found', 'rotationId', `must name an existing rotation: ${ref} not found`);
  return r;
}

const handleFor = (ctx: ServiceContext, record: RotationRecord) => ctx.temporal.workflow.getHandle(rotationWorkflowId(record.id));

/** Live state from the workflow; the control database's snapshot when the workflow cannot answer. */
export async function getRotationView(ctx: ServiceContext, ref: RotationRef): Promise<RotationView> {
  const record = await requireRotation(ctx, ref);
  try {
    const live = await handleFor(ctx, record).query(getRotationQuery);
    // The connection can be renamed without the workflow knowing; the control database has its name.
    return { ...live, connection: record.config.connection };
  } catch {
    return viewOf(record);
  }
}

export async function getRotationByName(ctx: ServiceContext, name: string, q: RotationNameQuery): Promise<RotationView> {
  const folderId = await findFolder(ctx.db.pool, q.projectId, q.environment, q.secretPath);
  const record = folderId ? await findRotationByName(ctx.db.pool, folderId, name) : null;
  if (!record) throw fieldError('not-found', 'name', `must name an existing rotation: "${name}" not found in ${folderLabel(q.environment, q.secretPath)}`);
  return getRotationView(ctx, record);
}

/** Both slots' current credentials (the active one at activeIndex). Every read is audited. */
export async function readGeneratedCredentials(ctx: ServiceContext, ref: RotationRef, actor: string): Promise<GeneratedCredentials> {
  const view = await getRotationView(ctx, ref);
  const rotationId = view.id;
  const current = await readCurrentCredentials(ctx.db.pool, ctx.db.box, rotationId);
  const usernames = [view.parameters.username1, view.parameters.username2];
  await recordAudit(ctx.db.pool, { actor, action: 'rotation.generated-credentials-read', projectId: view.projectId, rotationId, details: { slots: current.map((c) => c.slot) } });
  return {
    rotationId,
    type: 'postgres-credentials',
    activeIndex: view.activeIndex,
    generatedCredentials: current.map((c) => ({ username: usernames[c.slot]!, password: c.password })),
  };
}

/** One database query, no Temporal call per rotation. */
export async function listRotationViews(ctx: ServiceContext, projectId?: string): Promise<RotationView[]> {
  return (await listRotations(ctx.db.pool, projectId)).map(viewOf);
}

/** One page of a project's rotations and how many it has in all (from the control database only). */
export async function listRotationPage(ctx: ServiceContext, query: ListRotationsQuery): Promise<{ secretRotations: RotationView[]; totalCount: number }> {
  const { projectId, limit, offset } = query;
  const records = await listRotations(ctx.db.pool, projectId, { limit, offset });
  // A page that is not the whole list needs its own count.
  const totalCount = limit === undefined && offset === 0 ? records.length : await countRotations(ctx.db.pool, projectId);
  return { secretRotations: records.map(viewOf), totalCount };
}

/** A `rotate` refused by the workflow because of the minimum overlap: a 409 / exit 4 that says when it is allowed. */
function overlapRefusal(err: unknown): ServiceError | null {
  const refused = findFailure(err, FailureType.MinimumOverlap);
  if (!refused) return null;
  const { allowedAt, minimumOverlapSeconds } = refused.details;
  const rule = `must be true to rotate before ${allowedAt} (minimumOverlapSeconds ${minimumOverlapSeconds})`;
  return new ServiceError('conflict', refused.failure.message, [{ field: 'force', rule, message: `force ${rule}` }]);
}

/** Runs an update on the rotation's workflow; `record` is the caller's read of the row (it exists). */
async function runUpdate<T>(record: RotationRecord, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw fieldError('not-found', 'rotationId', `must name a running rotation: ${record.id} has no workflow`);
    if (err instanceof WorkflowUpdateFailedError) throw overlapRefusal(err) ?? new ServiceError('failed', rootMessage(err));
    throw new ServiceError('unavailable', rootMessage(err));
  }
}

/**
 * Rotates now and returns once the rotation finished (joining one that is already running). Refused (conflict,
 * nothing changes) while the credential it would overwrite is younger than minimumOverlapSeconds, unless `force`.
 * `actor` is recorded with the rotation's `rotation.published` audit event.
 */
export async function rotateRotation(ctx: ServiceContext, ref: RotationRef, opts: RotateOptions, actor: string): Promise<RotationView> {
  const record = await requireRotation(ctx, ref);
  return runUpdate(record, () => handleFor(ctx, record).executeUpdate(rotateUpdate, { args: [{ ...opts, actor }] }));
}

/**
 * Requests a manual rotation and returns as soon as the workflow took the request (it runs in the background),
 * or refused it (minimum overlap, being deleted) — unlike a signal, whose refusal nobody would hear of.
 */
export async function requestRotation(ctx: ServiceContext, ref: RotationRef, opts: RotateOptions, actor: string): Promise<void> {
  const record = await requireRotation(ctx, ref);
  await runUpdate(record, () => handleFor(ctx, record).executeUpdate(rotateUpdate, { args: [{ ...opts, actor, wait: false }] }));
}

export interface IncidentRotationResult {
  warning: string;
  secretRotation: RotationView;
}

const roles = (v: Pick<RotationView, 'parameters'>) => `"${v.parameters.username1}" and "${v.parameters.username2}"`;

/** What the incident rotation will do, for a confirmation prompt (the CLI refuses without --yes). */
export function incidentRotationWarning(v: Pick<RotationView, 'parameters' | 'secretsMapping'>): string {
  return (
    `The incident rotation gives both ${roles(v)} new passwords now. Every current password of either role stops ` +
    `working at once: whoever holds an old pair (applications that have not re-read ${v.secretsMapping.username}/` +
    `${v.secretsMapping.password}, scripts, people) loses access. Use it when both credentials are known to be compromised.`
  );
}

function incidentDoneWarning(v: RotationView): string {
  const active = v.activeIndex === 1 ? v.parameters.username2 : v.parameters.username1;
  return (
    `WARNING: both ${roles(v)} have new passwords. Every earlier password of either role has stopped working: ` +
    `whoever still holds an old pair (applications that have not re-read ${v.secretsMapping.username}/` +
    `${v.secretsMapping.password}, scripts, people) has lost access and must read the mapped secrets again. ` +
    `The mapped secrets hold the new pair of "${active}".`
  );
}

/**
 * Incident rotation: both roles get fresh passwords now (the workflow's `rotateBoth`, under its lock) and the new
 * active pair is published. The minimum overlap does not hold it back: it exists to end the old pairs. Audited
 * as `rotation.incident`, with its outcome.
 */
export async function incidentRotation(ctx: ServiceContext, ref: RotationRef, actor: string): Promise<IncidentRotationResult> {
  const record = await requireRotation(ctx, ref);
  const audit = (details: Record<string, unknown>) =>
    recordAudit(ctx.db.pool, { actor, action: 'rotation.incident', projectId: record.projectId, rotationId: record.id, details });
  let view: RotationView;
  try {
    view = await runUpdate(record, () => handleFor(ctx, record).executeUpdate(rotateBothUpdate, { args: [{ actor }] }));
  } catch (err) {
    if (err instanceof ServiceError && err.kind === 'failed') await audit({ outcome: 'failed', message: err.message });
    throw err;
  }
  await audit({ outcome: 'success', activeIndex: view.activeIndex, lastRotatedAt: view.lastRotatedAt });
  return { warning: incidentDoneWarning(view), secretRotation: view };
}

/**
 * The patch's conflicts, checked before the workflow is asked (which checks the rule again in its validator, and
 * the conflicts in its transaction): a name or secret name taken in the folder is a 409 and a broken rule a 400,
 * each naming the field, like create.
 */
async function checkPatch(ctx: ServiceContext, r: RotationRecord, patch: UpdateRotationPatch): Promise<void> {
  const problem = configChangeProblem(r.config, patch);
  if (problem) throw problemError('validation', problem);
  const folder = rotationFolder(r.config, r.folderId);
  const conflict =
    (patch.name !== undefined && patch.name !== r.config.name ? await nameTaken(ctx.db.pool, folder, patch.name, r.id) : null) ??
    (patch.secretsMapping ? await secretNamesTaken(ctx.db.pool, folder, patch.secretsMapping, { rotationId: r.id, secretsMapping: r.config.secretsMapping }) : null);
  if (conflict) throw problemError('conflict', conflict);
}

export async function updateRotation(ctx: ServiceContext, ref: RotationRef, patch: UpdateRotationPatch, actor: string): Promise<RotationView> {
  const record = await requireRotation(ctx, ref);
  await checkPatch(ctx, record, patch);
  return runUpdate(record, () => handleFor(ctx, record).executeUpdate(updateConfigUpdate, { args: [{ ...patch, actor }] }));
}

export async function deleteRotation(ctx: ServiceContext, ref: RotationRef, opts: DeleteRotationOptions, actor: string): Promise<RotationView> {
  const record = await requireRotation(ctx, ref);
  const before = await getRotationView(ctx, record);
  await runUpdate(record, () => handleFor(ctx, record).executeUpdate(deleteUpdate, { args: [{ ...opts, actor }] }));
  return before;
}
