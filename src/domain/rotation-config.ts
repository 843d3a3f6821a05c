import { ConfigurationError } from './errors.js';
import { minimumOverlapRule, type CreateRotationInput, type UpdateRotationPatch } from './rotation-schemas.js';
import { minimumOverlapOf, type RotationConfig } from './rotation-types.js';

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
    createdAt: refs.now,
    updatedAt: refs.now,
  };
}

/**
 * Applies a validated patch. The two roles cannot be swapped for others in place: the current credentials
 * belong to them, so changing a username would publish a password that was never set on the new role.
 */
export function applyConfigPatch(config: RotationConfig, patch: UpdateRotationPatch, now: string): RotationConfig {
  const next: RotationConfig = { ...config, updatedAt: now };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.description !== undefined) next.description = patch.description ?? null;
  if (patch.isAutoRotationEnabled !== undefined) next.isAutoRotationEnabled = patch.isAutoRotationEnabled;
  if (patch.rotationInterval !== undefined) next.rotationInterval = patch.rotationInterval;
  if (patch.rotateAtUtc !== undefined) next.rotateAtUtc = patch.rotateAtUtc;
  if (patch.secretsMapping !== undefined) next.secretsMapping = patch.secretsMapping;
  if (patch.minimumOverlapSeconds !== undefined) next.minimumOverlapSeconds = patch.minimumOverlapSeconds;
  const overlap = minimumOverlapProblem(config, patch);
  if (overlap) throw new ConfigurationError('INVALID_CONFIG', `${overlap.field} ${overlap.rule}`, { field: overlap.field });
  if (patch.parameters !== undefined) {
    for (const key of ['username1', 'username2'] as const) {
      if (patch.parameters[key] !== config.parameters[key]) {
        throw new ConfigurationError(
          'USERNAME_IMMUTABLE',
          `parameters.${key} cannot be changed (it is "${config.parameters[key]}"); create a new rotation for other roles`,
        );
      }
    }
    next.parameters = patch.parameters;
  }
  return next;
}

/**
 * A patch that breaks "minimumOverlapSeconds ≤ rotationInterval" once merged with the current configuration:
 * the field to blame (the one the patch changes; minimumOverlapSeconds when it changes both) and the rule.
 */
export function minimumOverlapProblem(
  config: Pick<RotationConfig, 'rotationInterval' | 'minimumOverlapSeconds'>,
  patch: Pick<UpdateRotationPatch, 'rotationInterval' | 'minimumOverlapSeconds'>,
): { field: 'minimumOverlapSeconds' | 'rotationInterval'; rule: string } | null {
  const interval = patch.rotationInterval ?? config.rotationInterval;
  const overlap = patch.minimumOverlapSeconds ?? minimumOverlapOf(config);
  const rule = minimumOverlapRule(interval, overlap);
  if (rule === null) return null;
  if (patch.minimumOverlapSeconds !== undefined) return { field: 'minimumOverlapSeconds', rule };
  return { field: 'rotationInterval', rule: `must be at least minimumOverlapSeconds (${overlap} seconds) in days: minimumOverlapSeconds ${rule}` };
}
