import { cancellationSignal } from '@temporalio/activity';
import pg from 'pg';
import { ConfigurationError } from '../domain/errors.js';
import { generatePassword } from '../domain/password.js';
import type { Slot } from '../domain/rotation-types.js';
import { getConnection, readConnectionPassword } from '../store/connections.js';
import { readCredential } from '../store/credentials.js';
import type { ControlDb } from '../store/db.js';
import type { RotationRecord } from '../store/rotations.js';
import { type AdminAccess, setRolePassword } from '../target/admin.js';
import { checkLogin } from '../target/login.js';
import { preflight } from '../target/preflight.js';
import type { TargetSessions } from '../target/sessions.js';
import { guarded, requireRotationRow } from './failures.js';
import type { CredentialRef, RotationActivities } from './types.js';

export interface TargetDeps {
  db: ControlDb;
  sessions: TargetSessions;
}

interface Target extends AdminAccess {
  rotation: RotationRecord;
}

async function loadTarget(db: ControlDb, rotationId: string): Promise<Target> {
  const rotation = await requireRotationRow(db.pool, rotationId);
  const connection = await getConnection(db.pool, rotation.connectionId);
  if (!connection) throw new ConfigurationError('CONNECTION_MISSING', `connection ${rotation.connectionId} does not exist`);
  return { rotation, connection, password: await readConnectionPassword(db.pool, db.box, connection.id) };
}

const roleOf = (r: RotationRecord, slot: Slot) => (slot === 0 ? r.config.parameters.username1 : r.config.parameters.username2);

/** The activity's cancellation (its timeout included), which ends a wait for a cluster slot; none when called outside an activity (tests). */
function activitySignal(): AbortSignal | undefined {
  try {
    return cancellationSignal();
  } catch {
    return undefined;
  }
}

export function createTargetActivities(deps: TargetDeps): Pick<
  RotationActivities,
  'preflight' | 'applyPassword' | 'verifyLogin' | 'revokeCredentials'
> {
  const { db, sessions } = deps;

  return {
    async preflight({ rotationId }) {
      return guarded(async (secrets) => {
        const t = await loadTarget(db, rotationId);
        secrets.push(t.password);
        const { username1, username2 } = t.rotation.config.parameters;
        return preflight(sessions, t, [username1, username2], activitySignal());
      });
    },

    async applyPassword(ref: CredentialRef) {
      return guarded(async (secrets) => {
        const t = await loadTarget(db, ref.rotationId);
        const password = await readCredential(db.pool, db.box, ref);
        secrets.push(t.password, password);
        await setRolePassword(sessions, t, t.rotation.config.parameters, roleOf(t.rotation, ref.slot), password, activitySignal());
      });
    },

    async verifyLogin(ref: CredentialRef) {
      return guarded(async (secrets) => {
        const t = await loadTarget(db, ref.rotationId);
        const password = await readCredential(db.pool, db.box, ref);
        secrets.push(t.password, password);
        const role = roleOf(t.rotation, ref.slot);
        const outcome = await checkLogin(sessions, t.connection, { user: role, password }, { signal: activitySignal() });
        if (outcome.ok) return;
        const q = pg.escapeIdentifier;
        if (outcome.code === '42501') {
          throw new ConfigurationError(
            'LOGIN_NOT_PERMITTED',
            `role ${q(role)} may not connect to database ${q(t.connection.database)}: ${outcome.message}`,
            `GRANT CONNECT ON DATABASE ${q(t.connection.database)} TO ${q(role)};`,
          );
        }
        throw new Error(`login as ${q(role)} with the new password failed: ${outcome.message}`);
      });
    },

    async revokeCredentials({ rotationId }) {
      return guarded(async (secrets) => {
        const t = await loadTarget(db, rotationId);
        secrets.push(t.password);
        for (const slot of [0, 1] as const) {
          // A password nobody keeps: the role stays, but nothing issued by this rotation logs in any more.
          const throwaway = generatePassword({ length: 64, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 0 }, allowedSymbols: '-_.~!*' });
          secrets.push(throwaway);
          await setRolePassword(sessions, t, t.rotation.config.parameters, roleOf(t.rotation, slot), throwaway, activitySignal());
        }
      });
    },
  };
}
