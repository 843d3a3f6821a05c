import { ConfigurationError } from './errors.js';
import { minimumOverlapRule, type CreateRotationInput, type UpdateRotationPatch } from './rotation-schemas.js';
import type { RotationConfig } from './rotation-types.js';

/** The stored configuration for a validated create request, once its folder and connection are known. */
export function newRotationConfig(
  input: CreateRotationInput,
  refs: { folderId: string; environment: { id: string; slug: string; name: string }; connectionName: string; now: string },
): RotationConfig {
  return {
    name: input.name,
    description: input.description ?? null,
    projectId: input.projectId,
    environment: refs.environment,
    folder: { id: refs.folderId, path: input.secretPath },
    connection: { app: 'postgres', id: input.connectionId, name: refs.connectionName },
    isAutoRotationEnabled: input.isAutoRotationEnabled,
    rotationInterval: input.rotationInterval,
    rotateAtUtc: input.rotateAtUtc,
    parameters: input.parameters,
    secretsMapping: input.secretsMapping,
    minimumOverlapSeconds: input.minimumOverlapSeconds,
    rotationWindowMinutes: input.rotationWindowMinutes,
    createdAt: refs.now,
    updatedAt: refs.now,
  };
}

/** Why a config change is refused: the field to blame and the rule it breaks. */
export interface ConfigChangeProblem {
  field: string;
  rule: string;
}

/**
 * The one decision whether a (schema-valid) patch may be applied to the current configuration; used by the
 * service before it asks the workflow, by the workflow's update validator, and by the activity that stores it.
 *
 * - The two roles cannot be swapped for others in place: the current credentials belong to them, so changing a
 *   username would publish a password that was never set on the new role.
 * - minimumOverlapSeconds ≤ rotationInterval once merged (the field blamed is the one the patch changes;
 *   minimumOverlapSeconds when it changes both).
 * rotationWindowMinutes needs no rule against the interval: its cap (24 h) is the shortest interval (1 day).
 */
export function configChangeProblem(config: RotationConfig, patch: UpdateRotationPatch): ConfigChangeProblem | null {
  for (const key of ['username1', 'username2'] as const) {
    if (patch.parameters && patch.parameters[key] !== config.parameters[key]) {
      return { field: `parameters.${key}`, rule: `cannot be changed (it is "${config.parameters[key]}"); create a new rotation for other roles` };
    }
  }
  const interval = patch.rotationInterval ?? config.rotationInterval;
  const overlap = patch.minimumOverlapSeconds ?? config.minimumOverlapSeconds;
  const rule = minimumOverlapRule(interval, overlap);
  if (rule === null) return null;
  if (patch.minimumOverlapSeconds !== undefined) return { field: 'minimumOverlapSeconds', rule };
  return { field: 'rotationInterval', rule: `must be at least minimumOverlapSeconds (${overlap} seconds) in days: minimumOverlapSeconds ${rule}` };
}

/** Applies a patch that `configChangeProblem` allows; throws (naming the field) for one it refuses. */
export function applyConfigPatch(config: RotationConfig, patch: UpdateRotationPatch, now: string): RotationConfig {
  const problem = configChangeProblem(config, patch);
  if (problem) throw new ConfigurationError('INVALID_CONFIG', `${problem.field} ${problem.rule}`, { field: problem.field });
  return {
    ...config,
    name: patch.name ?? config.name,
    description: patch.description === undefined ? config.description : patch.description,
    isAutoRotationEnabled: patch.isAutoRotationEnabled ?? config.isAutoRotationEnabled,
    rotationInterval: patch.rotationInterval ?? config.rotationInterval,
    rotateAtUtc: patch.rotateAtUtc ?? config.rotateAtUtc,
    parameters: patch.parameters ?? config.parameters,
    secretsMapping: patch.secretsMapping ?? config.secretsMapping,
    minimumOverlapSeconds: patch.minimumOverlapSeconds ?? config.minimumOverlapSeconds,
    rotationWindowMinutes: patch.rotationWindowMinutes ?? config.rotationWindowMinutes,
    updatedAt: now,
  };
}
