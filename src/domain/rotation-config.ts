import { ConfigurationError } from './errors.js';
import { type ConfigChangeProblem, configChangeProblem } from './rotation-rules.js';
import { type CreateRotationInput, formatZodError, type UpdateRotationPatch, updateRotationSchema } from './rotation-schemas.js';
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

/** A refused config change as the (non-retryable) failure of the step that stores it, naming the field. */
export function configRefusal(problem: ConfigChangeProblem): ConfigurationError {
  return new ConfigurationError('INVALID_CONFIG', `${problem.field} ${problem.rule}`, { field: problem.field });
}

/**
 * Applies a patch that the schema and `configChangeProblem` allow; throws (naming the field) for one they refuse.
 * The patch is parsed here although the service parsed it too: the workflow passes on whatever a Temporal client
 * sent to its update (it validates without zod, see rotation-rules.ts), and this is where it is stored.
 */
export function applyConfigPatch(config: RotationConfig, given: UpdateRotationPatch, now: string): RotationConfig {
  const parsed = updateRotationSchema.safeParse(given);
  if (!parsed.success) {
    const { message, details } = formatZodError(parsed.error);
    throw new ConfigurationError('INVALID_CONFIG', message, { field: details[0]?.field });
  }
  const patch = parsed.data;
  const problem = configChangeProblem(config, patch);
  if (problem) throw configRefusal(problem);
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
