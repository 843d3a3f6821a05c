import type { ControlDb } from '../store/db.js';
import { createStoreActivities } from './store-activities.js';
import { createTargetActivities } from './target-activities.js';
import type { TargetLimits, TargetPools } from './target-pools.js';
import type { RotationActivities } from './types.js';

export interface ActivityDeps {
  db: ControlDb;
  pools: TargetPools;
  limits: TargetLimits;
  /** Queue webhook notifications (when a webhook URL is configured). */
  webhooks: boolean;
}

/** Builds the activities from their dependencies (the worker and the tests pass their own). */
export function createActivities(deps: ActivityDeps): RotationActivities {
  return { ...createTargetActivities(deps), ...createStoreActivities(deps.db, { webhooks: deps.webhooks }) };
}
