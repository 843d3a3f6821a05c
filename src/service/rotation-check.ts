/**
 * Drift check: do the stored credentials still log in, and do the mapped secrets hold the active one? Runs in
 * the caller (API/CLI), not in the workflow: it reads, logs in and changes nothing on the target, so there is
 * nothing to make durable. The report never contains a password.
 */
import type { Slot } from '../domain/rotation-types.js';
import type { RotationCheck, RotationView, SlotCheck } from '../domain/rotation-view-schemas.js';
import { recordAudit } from '../store/audit.js';
import { getConnection } from '../store/connections.js';
import { readCurrentCredentials } from '../store/credentials.js';
import { readSecrets } from '../store/secrets.js';
import { checkLogin } from '../target/login.js';
import type { ServiceContext } from './context.js';
import { fieldError, ServiceError } from './errors.js';
import { getRotationView } from './rotations.js';

function adviceFor(view: RotationView, slots: (SlotCheck & { passwordRefused: boolean })[], mappedOk: boolean): string {
  const active = view.activeIndex as Slot;
  const inactive: Slot = active === 0 ? 1 : 0;
  const role = (s: Slot) => `"${s === 0 ? view.parameters.username1 : view.parameters.username2}"`;
  const activeDrift = slots[active]!.passwordRefused;
  const inactiveDrift = slots[inactive]!.passwordRefused;
  const forceHint = view.minimumOverlapSeconds > 0 ? ' (with force if minimumOverlapSeconds holds it back)' : '';
  const parts: string[] = [];
  if (view.rotationInProgress) parts.push('A rotation is in progress, so this may be transient: check again once it has finished.');
  if (activeDrift) {
    parts.push(
      `The active credential (${role(active)}, the pair in the mapped secrets) no longer logs in: its password was changed ` +
        `outside pg-rotator, so applications using the mapped secrets cannot log in. Rotate now${forceHint}: that gives ` +
        `${role(inactive)} a fresh password and publishes it, which repairs the mapped secrets` +
        `${inactiveDrift ? ' and the inactive credential' : ''}; a second rotation then repairs ${role(active)}. ` +
        `The incident rotation repairs both at once (and ends every old pair).`,
    );
  } else if (inactiveDrift) {
    parts.push(
      `The inactive credential (${role(inactive)}) no longer logs in: its password was changed outside pg-rotator. ` +
        `Applications using the mapped secrets are not affected. The next rotation repairs it (it gives ${role(inactive)} ` +
        `a new password and publishes it); rotate now${forceHint} to repair it at once.`,
    );
  }
  if (!mappedOk) {
    parts.push(
      `The mapped secrets (${view.secretsMapping.username}, ${view.secretsMapping.password}) do not hold the active ` +
        `credential of ${role(active)}. The next rotation publishes a fresh pair and repairs them; rotate now to repair them at once.`,
    );
  }
  for (const s of slots) {
    if (!s.loginOk && !s.passwordRefused) {
      parts.push(`Could not log in as ${role(s.slot)}: ${s.error}. That is not a changed password, and a rotation will not repair it; fix it and check again.`);
    }
  }
  if (parts.length === 0) return 'No drift: both credentials log in and the mapped secrets hold the active pair.';
  return parts.join(' ');
}

/** Checks one rotation's credentials against its target and its mapped secrets (audited as `rotation.checked`). */
export async function checkRotation(ctx: ServiceContext, rotationId: string, actor: string): Promise<RotationCheck> {
  const view = await getRotationView(ctx, rotationId);
  if (view.activeIndex === null) throw fieldError('conflict', 'rotationId', `must name a rotation whose credentials are issued: ${rotationId} is still issuing`);
  const activeIndex = view.activeIndex;
  const connection = await getConnection(ctx.db.pool, view.connectionId);
  if (!connection) throw new ServiceError('failed', `the rotation's connection ${view.connectionId} does not exist`);
  const current = await readCurrentCredentials(ctx.db.pool, ctx.db.box, rotationId);
  const usernames = [view.parameters.username1, view.parameters.username2] as const;

  const checkedAt = new Date().toISOString();
  const slots = await Promise.all(
    ([0, 1] as const).map(async (slot) => {
      const username = usernames[slot];
      const stored = current.find((c) => c.slot === slot);
      if (!stored) return { slot, username, loginOk: false, passwordRefused: false, error: 'no current credential is stored for this slot' };
      const outcome = await checkLogin(ctx.target, connection, { user: username, password: stored.password });
      if (outcome.ok) return { slot, username, loginOk: true, passwordRefused: false };
      const error = outcome.passwordRefused ? `the stored password is refused (${outcome.message}): it was changed outside pg-rotator` : outcome.message;
      return { slot, username, loginOk: false, passwordRefused: outcome.passwordRefused, error };
    }),
  );

  const latest = async (key: string) => (await readSecrets(ctx.db.pool, ctx.db.box, { folderId: view.folderId, key }))[0]?.secretValue;
  const [mappedUser, mappedPassword] = await Promise.all([latest(view.secretsMapping.username), latest(view.secretsMapping.password)]);
  const activeStored = current.find((c) => c.slot === activeIndex);
  const mappedSecretsMatchActive = activeStored !== undefined && mappedUser === usernames[activeIndex] && mappedPassword === activeStored.password;

  const drift = slots.some((s) => s.passwordRefused) || !mappedSecretsMatchActive;
  const report: RotationCheck = {
    rotationId,
    checkedAt,
    activeIndex,
    slots: slots.map(({ passwordRefused: _p, ...s }) => s),
    mappedSecretsMatchActive,
    drift,
    advice: adviceFor(view, slots, mappedSecretsMatchActive),
  };
  await recordAudit(ctx.db.pool, {
    actor,
    action: 'rotation.checked',
    projectId: view.projectId,
    rotationId,
    details: { drift, mappedSecretsMatchActive, slots: report.slots.map((s) => ({ slot: s.slot, loginOk: s.loginOk })) },
  });
  return report;
}
