import { generatePassword } from '../domain/password.js';
import { rotationEvent } from '../domain/rotation-events.js';
import { applyConfigPatch, configRefusal } from '../domain/rotation-config.js';
import { passwordRequirementsSchema } from '../domain/rotation-schemas.js';
import type { RotationState } from '../domain/rotation-types.js';
import { recordAudit } from '../store/audit.js';
import { credentialExists, promoteCredential, readCredential, stageCredential } from '../store/credentials.js';
import { type ControlDb, isUniqueViolation, type Queryable, withTransaction } from '../store/db.js';
import { deleteRotationRow, getRotation, type RotationRecord, saveRotationState, updateRotationConfig } from '../store/rotations.js';
import type { SecretBox } from '../store/secret-box.js';
import { nameTakenProblem, type RotationFolder, rotationFolder, secretNamesTaken } from '../store/rotation-conflicts.js';
import { deleteRotationSecrets, renameSecret, writeSecretVersion } from '../store/secrets.js';
import { enqueueWebhook } from '../store/webhooks.js';
import { observeRotation, type RotationOutcome, rotationOutcome } from '../metrics/metrics.js';
import { guarded, requireRotationRow } from './failures.js';
import type { CredentialRef, RotationActivities } from './types.js';

/**
 * Saves the workflow's state for listings, with the audit event (and webhook) that its change means. `before`
 * is the rotation row, read FOR UPDATE in the same transaction `tx`. Returns the rotation that ended with this
 * change, if one did, for the caller to count once the transaction has committed.
 */
async function saveStateWithEvent(tx: Queryable, before: RotationRecord, state: RotationState, webhooks: boolean): Promise<RotationOutcome | null> {
  await saveRotationState(tx, before.id, state);
  const outcome = rotationOutcome(before.state, state);
  const event = rotationEvent(before.state, state);
  if (!event) return outcome;
  const facts = {
    rotationId: before.id,
    projectId: before.projectId,
    name: before.name,
    rotationStatus: state.rotationStatus,
    lastRotationMessage: state.lastRotationMessage, // redacted by the workflow
    lastRotationAttemptedAt: state.lastRotationAttemptedAt,
    activeIndex: state.activeIndex,
    nextRotationAt: state.nextRotationAt,
  };
  await recordAudit(tx, { actor: 'rotation', action: event, projectId: before.projectId, rotationId: before.id, details: facts });
  if (webhooks) await enqueueWebhook(tx, { event, projectId: before.projectId, rotationId: before.id, payload: facts });
  return outcome;
}

/** New versions of both mapped secrets with the slot's username and current password, and their audit event. */
async function publishPair(tx: Queryable, box: SecretBox, rotation: RotationRecord, ref: CredentialRef, actor: string, secrets: string[]): Promise<number> {
  const password = await readCredential(tx, box, ref);
  secrets.push(password);
  const { parameters, secretsMapping, folder } = rotation.config;
  const username = ref.slot === 0 ? parameters.username1 : parameters.username2;
  // Username and password change together, in the caller's one transaction (I4).
  await writeSecretVersion(tx, box, { folderId: folder.id, key: secretsMapping.username, value: username, rotationId: ref.rotationId });
  const secretVersion = await writeSecretVersion(tx, box, { folderId: folder.id, key: secretsMapping.password, value: password, rotationId: ref.rotationId });
  await recordAudit(tx, {
    actor,
    action: 'rotation.published',
    projectId: rotation.projectId,
    rotationId: ref.rotationId,
    details: { slot: ref.slot, generation: ref.generation, secretVersion },
  });
  return secretVersion;
}

export interface StoreActivityOptions {
  /** Queue a webhook notification on rotation failed / recovered. */
  webhooks: boolean;
}

export function createStoreActivities(db: ControlDb, options: StoreActivityOptions): Pick<
  RotationActivities,
  'stagePassword' | 'publish' | 'recordState' | 'saveConfig' | 'removeRotation'
> {
  const recordStateIn = (tx: Queryable, before: RotationRecord, state: RotationState) => saveStateWithEvent(tx, before, state, options.webhooks);

  return {
    async stagePassword(ref) {
      return guarded(async () => {
        if (await credentialExists(db.pool, ref)) return; // a retry after the row was written
        const rotation = await requireRotationRow(db.pool, ref.rotationId);
        const requirements = passwordRequirementsSchema.parse(rotation.config.parameters.passwordRequirements ?? {});
        await stageCredential(db.pool, db.box, ref, generatePassword(requirements));
      });
    },

    async publish({ activate, actor, state, ...ref }) {
      return guarded(async (secrets) => {
        const { secretVersion, ended } = await withTransaction(db.pool, async (tx) => {
          const rotation = await requireRotationRow(tx, ref.rotationId, true);
          const secretVersion = (await promoteCredential(tx, ref)) && activate ? await publishPair(tx, db.box, rotation, ref, actor, secrets) : null;
          // Also on a retry after a commit whose result was lost: the workflow's state (the source of truth) wins,
          // and its event is not announced (nor counted) twice (both compare with the stored state).
          return { secretVersion, ended: state ? await recordStateIn(tx, rotation, state) : null };
        });
        observeRotation(ended);
        return { secretVersion };
      });
    },

    async recordState({ rotationId, state }) {
      return guarded(async () => {
        const ended = await withTransaction(db.pool, async (tx) => {
          const before = await getRotation(tx, rotationId, true);
          return before ? recordStateIn(tx, before, state) : null; // else removed meanwhile
        });
        observeRotation(ended);
      });
    },

    async saveConfig({ rotationId, patch, actor }) {
      return guarded(async () => {
        let folder: RotationFolder | undefined;
        try {
          return await withTransaction(db.pool, async (tx) => {
            const rotation = await requireRotationRow(tx, rotationId, true);
            const before = rotation.config;
            folder = rotationFolder(before);
            const after = applyConfigPatch(before, patch, new Date().toISOString());
            const renames = (['username', 'password'] as const).filter((k) => before.secretsMapping[k] !== after.secretsMapping[k]);
            if (renames.length > 0) {
              const taken = await secretNamesTaken(tx, folder, after.secretsMapping, { rotationId, secretsMapping: before.secretsMapping });
              if (taken) throw configRefusal(taken);
              // Through temporary names, so that swapping the two names cannot collide midway.
              for (const k of renames) await renameSecret(tx, before.folder.id, before.secretsMapping[k], `${before.secretsMapping[k]}:renaming:${rotationId}`);
              for (const k of renames) await renameSecret(tx, before.folder.id, `${before.secretsMapping[k]}:renaming:${rotationId}`, after.secretsMapping[k]);
            }
            await updateRotationConfig(tx, rotationId, after);
            await recordAudit(tx, {
              actor,
              action: 'rotation.config-updated',
              projectId: rotation.projectId,
              rotationId,
              details: { fields: Object.keys(patch) },
            });
            return after;
          });
        } catch (err) {
          if (isUniqueViolation(err) && folder && patch.name !== undefined) throw configRefusal(nameTakenProblem(folder, patch.name));
          throw err;
        }
      });
    },

    async removeRotation({ rotationId, deleteSecrets, actor, reason }) {
      return guarded(async () => {
        await withTransaction(db.pool, async (tx) => {
          const rotation = await getRotation(tx, rotationId, true);
          if (!rotation) return; // already removed (a retry)
          const removedSecrets = deleteSecrets ? await deleteRotationSecrets(tx, rotationId) : 0;
          await deleteRotationRow(tx, rotationId);
          await recordAudit(tx, {
            actor,
            action: 'rotation.deleted',
            projectId: rotation.projectId,
            rotationId,
            details: { reason, name: rotation.name, deleteSecrets, removedSecrets },
          });
        });
      });
    },
  };
}
