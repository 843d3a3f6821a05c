import { ApplicationFailure, Context } from '@temporalio/activity';
import { ConfigurationError, redact } from '../domain/errors.js';
import { failure, FailureType, withFix } from '../domain/failures.js';
import { failureReason, stepFailures, stepLabel } from '../metrics/metrics.js';
import type { Queryable } from '../store/db.js';
import { getRotation, type RotationRecord } from '../store/rotations.js';

/** The running activity's name (its step), or undefined outside an activity (tests calling activities directly). */
function currentStep(): string | undefined {
  try {
    return Context.current().info.activityType;
  } catch {
    return undefined;
  }
}

/**
 * Every activity failure leaves through here: it is counted (step, reason class), the message is redacted (known
 * secrets, verifiers, password literals) and configuration errors become non-retryable. The original error is
 * not attached as a cause, so nothing unredacted reaches Temporal history.
 */
export async function guarded<T>(work: (secrets: string[]) => Promise<T>): Promise<T> {
  // The activity pushes every secret it handles here, so the redaction knows them by value.
  const secrets: string[] = [];
  try {
    return await work(secrets);
  } catch (err) {
    stepFailures.inc({ step: stepLabel(currentStep()), reason: failureReason(err) });
    if (err instanceof ApplicationFailure) throw err;
    const message = redact(err instanceof Error ? err.message : String(err), secrets);
    if (err instanceof ConfigurationError) {
      const { field, code, fix } = err.details;
      const safeFix = fix === null ? null : redact(fix, secrets);
      throw failure(FailureType.ConfigurationError, withFix(message, safeFix), { details: { field, code, fix: safeFix } });
    }
    throw ApplicationFailure.create({ message, type: err instanceof Error ? err.name : 'Error' });
  }
}

/**
 * The rotation's row, or a non-retryable failure: a workflow whose row is gone (deleted behind its back) must
 * not retry forever. `db`: the pool, or the caller's transaction (then `forUpdate` locks the row in it).
 */
export async function requireRotationRow(db: Queryable, rotationId: string, forUpdate = false): Promise<RotationRecord> {
  const rotation = await getRotation(db, rotationId, forUpdate);
  if (!rotation) throw new ConfigurationError('ROTATION_MISSING', `rotation ${rotationId} does not exist in the control database`);
  return rotation;
}
