import type { ControlDb } from '../store/db.js';
import type { TargetSessions } from '../target/sessions.js';
import { createStoreActivities } from './store-activities.js';
import { createTargetActivities } from './target-activities.js';
import type { RotationActivities } from './types.js';

export interface ActivityDeps {
  db: ControlDb;
  /** Every connection to a target goes through it (the per-cluster cap of this process). */
  sessions: TargetSessions;
  /** Queue webhook notifications (when a webhook URL is configured). */
  webhooks: boolean;
}

/** Builds the activities from their dependencies (the worker and the tests pass their own). */
export function createActivities(deps: ActivityDeps): RotationActivities {
  return { ...createTargetActivities(deps), ...createStoreActivities(deps.db, { webhooks: deps.webhooks }) };
}
