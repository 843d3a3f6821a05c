import type { UpdateRotationPatch } from '../domain/rotation-schemas.js';
import type { RotationConfig, RotationState, Slot } from '../domain/rotation-types.js';

/**
 * The activity contract. Arguments and results carry ids and non-secret facts only: passwords are read from
 * and written to the control database (encrypted) inside the activities, never passed through Temporal.
 */
export interface CredentialRef {
  rotationId: string;
  slot: Slot;
  generation: number;
}

export interface PreflightResult {
  serverVersion: number;
  roles: string[];
}

export interface RotationActivities {
  /** Checks the admin connection and both roles; throws a non-retryable ConfigurationError with the SQL to fix it. */
  preflight(input: { rotationId: string }): Promise<PreflightResult>;
  /** Generates and stores (encrypted) a password for (rotation, slot, generation). Idempotent. */
  stagePassword(ref: CredentialRef): Promise<void>;
  /** Sets the slot's role password to the staged one (as a SCRAM-SHA-256 verifier). Idempotent. */
  applyPassword(ref: CredentialRef): Promise<void>;
  /** Logs in as the slot's role with the staged password and runs SELECT 1. */
  verifyLogin(ref: CredentialRef): Promise<void>;
  /**
   * Staged → current for the slot; with activate, new versions of both mapped secrets; with state, the
   * rotation's state after this step (as recordState). One transaction. Idempotent.
   */
  publish(input: CredentialRef & { activate: boolean; actor: string; state?: RotationState }): Promise<{ secretVersion: number | null }>;
  /** Mirrors workflow state into the control database for listings (with the failed/recovered audit event and webhook). */
  recordState(input: { rotationId: string; state: RotationState }): Promise<void>;
  /** Applies and stores a config patch the workflow's validator accepted (renaming the mapped secrets); returns the new config. */
  saveConfig(input: { rotationId: string; patch: UpdateRotationPatch; actor: string }): Promise<RotationConfig>;
  /** Gives both roles throwaway passwords nobody keeps (delete with revokeGeneratedCredentials). */
  revokeCredentials(input: { rotationId: string }): Promise<void>;
  /** Removes the rotation's rows (and its mapped secrets when asked). */
  removeRotation(input: { rotationId: string; deleteSecrets: boolean; actor: string; reason: string }): Promise<void>;
}
