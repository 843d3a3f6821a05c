/**
 * The rotation rules the workflow needs, free of zod: a workflow's modules are evaluated again for every workflow
 * a worker instantiates (a new run, or a replay after the workflow left the cache), and zod with the rotation
 * schemas costs ~15 ms of CPU and ~1 MB of heap each time. The schemas (rotation-schemas.ts) use these rules too,
 * so each has this one home. Deterministic: no `node:` modules, no clocks.
 */
import type { UpdateRotationPatch } from './rotation-schemas.js';
import type { RotationConfig } from './rotation-types.js';

export const DAY_SECONDS = 86_400;
export const MAX_MINIMUM_OVERLAP_SECONDS = 30 * DAY_SECONDS;
/** 24 h. Also at most the shortest rotationInterval (1 day), so a window never reaches the next due instant. */
export const MAX_ROTATION_WINDOW_MINUTES = 1440;

/**
 * The rule tying minimumOverlapSeconds to rotationInterval, as a rule phrase for minimumOverlapSeconds, or null.
 * Scheduled rotations are never refused, so an overlap longer than the interval could never be honoured.
 */
export function minimumOverlapRule(rotationInterval: number, minimumOverlapSeconds: number): string | null {
  const limit = rotationInterval * DAY_SECONDS;
  if (minimumOverlapSeconds <= limit) return null;
  return (
    `must be at most rotationInterval (${rotationInterval} day${rotationInterval === 1 ? '' : 's'} = ${limit} seconds), ` +
    `got ${minimumOverlapSeconds}: scheduled rotations come every rotationInterval and are not held back by the overlap`
  );
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
