import { randomUUID } from 'node:crypto';
import { ApplicationFailure, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { minimumOverlapProblem, newRotationConfig } from '../domain/rotation-config.js';
import { z } from 'zod';
import {
  createRotationSchema,
  deleteRotationOptionsSchema,
  rotateOptionsSchema,
  secretPathSchema,
  slugSchema,
  updateRotationSchema,
} from '../domain/rotation-schemas.js';
import { initialRotationState, type RotationState, type RotationView, toRotationView } from '../domain/rotation-types.js';
import { recordAudit } from '../store/audit.js';
import { getConnection } from '../store/connections.js';
import { isUniqueViolation, withTransaction } from '../store/db.js';
import { readCurrentCredentials } from '../store/credentials.js';
import { deleteRotationRow, ensureFolder, findFolder, findRotationByName, getRotation, insertRotation, listRotations, type RotationRecord } from '../store/rotations.js';
import { secretKeysTaken } from '../store/secrets.js';
import {
  deleteUpdate,
  getRotationQuery,
  issuedUpdate,
  MINIMUM_OVERLAP_FAILURE,
  rotateBothUpdate,
  rotateWithOptionsUpdate,
  rotationWorkflowId,
  TASK_QUEUE,
  updateConfigUpdate,
  WORKFLOW_TYPE,
} from '../workflows/rotation-messages.js';
import { claimRotationRoles } from './connections.js';
import type { ServiceContext } from './context.js';
import { requireEnvironment } from './projects.js';
import { fieldError, parseInput, ServiceError } from './errors.js';

export const projectIdKey = defineSearchAttributeKey('PgRotationProjectId', SearchAttributeType.KEYWORD);

/** Unwraps Temporal's update/workflow failures into the user-facing reason. */
function reason(err: unknown): string {
  let cur: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (cur instanceof Error) {
    if (cur.message) message = cur.message;
    cur = (cur as { cause?: unknown }).cause;
  }
  return message;
}

function blamedField(err: unknown): string | null {
  for (let cur: unknown = err; cur instanceof Error; cur = (cur as { cause?: unknown }).cause) {
    if (cur instanceof ApplicationFailure && typeof cur.details?.[0] === 'string') return cur.details[0];
  }
  return null;
}

async function hasSearchAttributes(ctx: ServiceContext): Promise<boolean> {
  try {
    const res = await ctx.temporal.connection.operatorService.listSearchAttributes({ namespace: ctx.temporal.options.namespace });
    return Object.prototype.hasOwnProperty.call(res.customAttributes ?? {}, projectIdKey.name);
  } catch {
    return false;
  }
}

/**
 * Validates, records the rotation, and starts its workflow, which checks the target and issues both
 * credentials before this returns. If issuing fails the workflow removes the rotation again, and the
 * error says why.
 */
export async function createRotation(ctx: ServiceContext, body: unknown, actor: string): Promise<RotationView> {
  const input = parseInput(createRotationSchema, body);
  const id = randomUUID();
  let config;
  try {
    config = await withTransaction(ctx.db.pool, async (tx) => {
      const environment = await requireEnvironment(tx, input.projectId, input.environment);
      const connection = await getConnection(tx, input.connectionId);
      if (!connection || connection.projectId !== input.projectId) {
        throw fieldError('not-found', 'connectionId', `must name a connection of project ${input.projectId}: ${input.connectionId} not found`);
      }
      const folderId = await ensureFolder(tx, input.projectId, input.environment, input.secretPath);
      if (await findRotationByName(tx, folderId, input.name)) {
        throw fieldError('conflict', 'name', `must be unique in ${input.environment}:${input.secretPath}: "${input.name}" exists`);
      }
      const taken = await secretKeysTaken(tx, folderId, [input.secretsMapping.username, input.secretsMapping.password], null);
      if (taken.length > 0) {
        throw fieldError('conflict', 'secretsMapping', `must name secrets not already in ${input.environment}:${input.secretPath}: ${taken.join(', ')} exist`);
      }
      const cfg = newRotationConfig(input, {
        folderId,
        environment,
        connectionName: connection.name,
        now: new Date().toISOString(),
      });
      await insertRotation(tx, id, cfg);
      await claimRotationRoles(ctx, tx, connection, id, input.parameters);
      await recordAudit(tx, { actor, action: 'rotation.created', projectId: input.projectId, rotationId: id, details: { name: input.name } });
      return cfg;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError('conflict', 'name', `must be unique in ${input.environment}:${input.secretPath}: "${input.name}" exists`);
    throw err;
  }

  const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
    workflowId: rotationWorkflowId(id),
    taskQueue: TASK_QUEUE,
    args: [{ rotationId: id, config }],
    workflowIdConflictPolicy: 'FAIL',
    ...((await hasSearchAttributes(ctx)) ? { typedSearchAttributes: [{ key: projectIdKey, value: input.projectId }] } : {}),
  });
  try {
    return (await ctx.temporal.workflow.executeUpdateWithStart(issuedUpdate, { startWorkflowOperation })) as RotationView;
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
      const field = blamedField(err);
      const message = reason(err);
      if (field) {
        const rule = message.slice(message.indexOf(`${field}: `) + field.length + 2);
        throw new ServiceError('validation', `${field} ${rule}`, [{ field, rule, message: `${field} ${rule}` }]);
      }
      throw new ServiceError('failed', `creating the rotation failed: ${message}`);
    }
    throw new ServiceError('unavailable', `creating the rotation failed: ${reason(err)}`);
  }
}

function pendingState(r: RotationRecord): RotationState {
  return { ...initialRotationState(r.config.updatedAt), rotationInProgress: r.lifecycle === 'issuing' };
}

const viewOf = (r: RotationRecord) => toRotationView(r.id, r.config, r.state ?? pendingState(r));

async function requireRecord(ctx: ServiceContext, rotationId: string): Promise<RotationRecord> {
  const r = /^[0-9a-f-]{36}$/i.test(rotationId) ? await getRotation(ctx.db.pool, rotationId) : null;
  if (!r) throw fieldError('not-found', 'rotationId', `must name an existing rotation: ${rotationId} not found`);
  return r;
}

const handleFor = (ctx: ServiceContext, rotationId: string) => ctx.temporal.workflow.getHandle(rotationWorkflowId(rotationId));

/** Live state from the workflow; the control database's snapshot when the workflow cannot answer. */
export async function getRotationView(ctx: ServiceContext, rotationId: string): Promise<RotationView> {
  const record = await requireRecord(ctx, rotationId);
  try {
    const live = await handleFor(ctx, rotationId).query(getRotationQuery);
    // The connection can be renamed without the workflow knowing; the control database has its name.
    return { ...live, connection: record.config.connection };
  } catch {
    return viewOf(record);
  }
}

export const rotationNameQuerySchema = z.strictObject({
  projectId: z.uuid({ error: 'must be a UUID' }),
  environment: slugSchema,
  secretPath: secretPathSchema.default('/'),
});

export async function getRotationByName(ctx: ServiceContext, name: string, query: unknown): Promise<RotationView> {
  const q = parseInput(rotationNameQuerySchema, query);
  const folderId = await findFolder(ctx.db.pool, q.projectId, q.environment, q.secretPath);
  const record = folderId ? await findRotationByName(ctx.db.pool, folderId, name) : null;
  if (!record) throw fieldError('not-found', 'name', `must name an existing rotation: "${name}" not found in ${q.environment}:${q.secretPath}`);
  return getRotationView(ctx, record.id);
}

/** The project a rotation belongs to (for authorization before acting on it). */
export async function rotationProjectId(ctx: ServiceContext, rotationId: string): Promise<string> {
  return (await requireRecord(ctx, rotationId)).projectId;
}

export interface GeneratedCredentials {
  rotationId: string;
  type: 'postgres-credentials';
  activeIndex: number | null;
  generatedCredentials: { username: string; password: string }[];
}

/** Both slots' current credentials (the active one at activeIndex). Every read is audited. */
export async function readGeneratedCredentials(ctx: ServiceContext, rotationId: string, actor: string): Promise<GeneratedCredentials> {
  const view = await getRotationView(ctx, rotationId);
  const current = await readCurrentCredentials(ctx.db, rotationId);
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

/** A `rotate` refused by the workflow because of the minimum overlap: a 409 / exit 4 that says when it is allowed. */
function overlapRefusal(err: WorkflowUpdateFailedError): ServiceError | null {
  for (let cur: unknown = err; cur instanceof Error; cur = (cur as { cause?: unknown }).cause) {
    if (cur instanceof ApplicationFailure && cur.type === MINIMUM_OVERLAP_FAILURE) {
      const allowedAt = String(cur.details?.[0] ?? '');
      const rule = `must be true to rotate before ${allowedAt} (minimumOverlapSeconds ${String(cur.details?.[1] ?? '')})`;
      return new ServiceError('conflict', cur.message, [{ field: 'force', rule, message: `force ${rule}` }]);
    }
  }
  return null;
}

async function runUpdate<T>(ctx: ServiceContext, rotationId: string, fn: () => Promise<T>): Promise<T> {
  await requireRecord(ctx, rotationId);
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw fieldError('not-found', 'rotationId', `must name a running rotation: ${rotationId} has no workflow`);
    if (err instanceof WorkflowUpdateFailedError) throw overlapRefusal(err) ?? new ServiceError('failed', reason(err));
    throw new ServiceError('unavailable', reason(err));
  }
}

/**
 * Rotates now and returns once the rotation finished (joining one that is already running). Refused (conflict,
 * nothing changes) while the credential it would overwrite is younger than minimumOverlapSeconds, unless `force`.
 */
export async function rotateRotation(ctx: ServiceContext, rotationId: string, options: unknown = {}): Promise<RotationView> {
  const opts = parseInput(rotateOptionsSchema, options ?? {});
  return runUpdate(ctx, rotationId, () => handleFor(ctx, rotationId).executeUpdate(rotateWithOptionsUpdate, { args: [opts] }));
}

/**
 * Requests a manual rotation and returns as soon as the workflow took the request (it runs in the background),
 * or refused it (minimum overlap, being deleted) — unlike a signal, whose refusal nobody would hear of.
 */
export async function requestRotation(ctx: ServiceContext, rotationId: string, options: unknown = {}): Promise<void> {
  const opts = parseInput(rotateOptionsSchema, options ?? {});
  await runUpdate(ctx, rotationId, () => handleFor(ctx, rotationId).executeUpdate(rotateWithOptionsUpdate, { args: [{ ...opts, wait: false }] }));
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
export async function incidentRotation(ctx: ServiceContext, rotationId: string, actor: string): Promise<IncidentRotationResult> {
  const record = await requireRecord(ctx, rotationId);
  const audit = (details: Record<string, unknown>) =>
    recordAudit(ctx.db.pool, { actor, action: 'rotation.incident', projectId: record.projectId, rotationId, details });
  let view: RotationView;
  try {
    view = await runUpdate(ctx, rotationId, () => handleFor(ctx, rotationId).executeUpdate(rotateBothUpdate, { args: [{ actor }] }));
  } catch (err) {
    if (err instanceof ServiceError && err.kind === 'failed') await audit({ outcome: 'failed', message: err.message });
    throw err;
  }
  await audit({ outcome: 'success', activeIndex: view.activeIndex, lastRotatedAt: view.lastRotatedAt });
  return { warning: incidentDoneWarning(view), secretRotation: view };
}

/**
 * The patch's conflicts, checked before the workflow is asked (which checks again, in its transaction): a name
 * or secret name taken in the folder is a 409 and a changed username a 400, each naming the field, like create.
 */
async function checkPatch(ctx: ServiceContext, r: RotationRecord, patch: z.output<typeof updateRotationSchema>): Promise<void> {
  const { config } = r;
  const where = `${config.environment.slug}:${config.folder.path}`;
  for (const key of ['username1', 'username2'] as const) {
    if (patch.parameters && patch.parameters[key] !== config.parameters[key]) {
      throw fieldError('validation', `parameters.${key}`, `cannot be changed (it is "${config.parameters[key]}"); create a new rotation for other roles`);
    }
  }
  if (patch.name !== undefined && patch.name !== config.name) {
    const other = await findRotationByName(ctx.db.pool, r.folderId, patch.name);
    if (other && other.id !== r.id) throw fieldError('conflict', 'name', `must be unique in ${where}: "${patch.name}" exists`);
  }
  const overlap = minimumOverlapProblem(config, patch);
  if (overlap) throw fieldError('validation', overlap.field, overlap.rule);
  if (patch.secretsMapping) {
    const own = Object.values(config.secretsMapping);
    const wanted = [patch.secretsMapping.username, patch.secretsMapping.password].filter((k) => !own.includes(k));
    const taken = wanted.length > 0 ? await secretKeysTaken(ctx.db.pool, r.folderId, wanted, r.id) : [];
    if (taken.length > 0) throw fieldError('conflict', 'secretsMapping', `must name secrets not already in ${where}: ${taken.join(', ')} exist`);
  }
}

export async function updateRotation(ctx: ServiceContext, rotationId: string, body: unknown, actor: string): Promise<RotationView> {
  const patch = parseInput(updateRotationSchema, body);
  await checkPatch(ctx, await requireRecord(ctx, rotationId), patch);
  return runUpdate(ctx, rotationId, () => handleFor(ctx, rotationId).executeUpdate(updateConfigUpdate, { args: [{ ...patch, actor }] }));
}

export async function deleteRotation(ctx: ServiceContext, rotationId: string, options: unknown, actor: string): Promise<RotationView> {
  const opts = parseInput(deleteRotationOptionsSchema, options);
  const before = await getRotationView(ctx, rotationId);
  await runUpdate(ctx, rotationId, () => handleFor(ctx, rotationId).executeUpdate(deleteUpdate, { args: [{ ...opts, actor }] }));
  return before;
}
