// Defect: publish held a pooled control-database connection for its transaction and then took a second one
// for the credential it publishes, so N concurrent publishes on a pool of N waited for an (N+1)th connection
// until the connection timeout rolled them all back. Here a pool of 2 serves 20 concurrent publishes (real
// activities built with createActivities, real PostgreSQL): every one must finish, none may time out.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import type { CredentialRef } from '../../src/activities/types.js';
import { createRotation, deleteRotation } from '../../src/service/rotations.js';
import { readCredential } from '../../src/store/credentials.js';
import { createControlPool } from '../../src/store/db.js';
import { readSecrets } from '../../src/store/secrets.js';
import { DEFAULT_TARGET_LIMITS } from '../../src/target/settings.js';
import { TargetSessions } from '../../src/target/sessions.js';
import { rememberPasswords } from '../support/passwords.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

const ROTATIONS = 10; // × 2 slots = 20 publishes
const POOL_MAX = 2;
/** Short, so that a pool waiting on itself fails the test in seconds rather than hanging it. */
const CONNECT_TIMEOUT_MS = 1_500;

let stack: TestStack;
let target: TestTarget;
const rotations: { id: string; folderId: string }[] = [];

beforeAll(async () => {
  stack = await openTestStack();
  await stack.startWorker('worker-control-pool');
  target = await stack.newTarget('pool');
  const q = pg.escapeIdentifier;
  // One target database, two roles per rotation (created like the stack creates the target's own roles).
  for (let i = 0; i < ROTATIONS; i++) {
    const roles = [1, 2].map((n) => `app_pool_${randomBytes(3).toString('hex')}_${n}`);
    for (const role of roles) {
      await stack.admin.query(`CREATE ROLE ${q(role)} LOGIN`);
      await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(target.database)} TO ${q(role)}`);
    }
    const view = await createRotation(
      stack.ctx,
      target.rotationInput({ name: `pool-${i}`, secretPath: `/pool-${i}`, isAutoRotationEnabled: false, parameters: { username1: roles[0], username2: roles[1] } }),
      'test',
    );
    rotations.push({ id: view.id, folderId: view.folderId });
  }
});

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db).catch(() => {});
  for (const r of rotations) await deleteRotation(stack.ctx, r.id, { deleteSecrets: true, revokeGeneratedCredentials: false }, 'test').catch(() => {});
  await stack?.close();
});

describe('control database pool under concurrent publishes', () => {
  it(`${ROTATIONS * 2} concurrent publishes on a pool of ${POOL_MAX} all finish, without a connection timeout`, async () => {
    const pool = createControlPool(inject('databaseUrl'), POOL_MAX, CONNECT_TIMEOUT_MS);
    const db = { pool, box: stack.ctx.db.box };
    const activities = createActivities({ db, sessions: new TargetSessions(DEFAULT_TARGET_LIMITS), webhooks: false });
    try {
      const refs: CredentialRef[] = rotations.flatMap((r) => ([0, 1] as const).map((slot) => ({ rotationId: r.id, slot, generation: 500 })));
      for (const ref of refs) await activities.stagePassword(ref);

      const started = Date.now();
      const results = await Promise.allSettled(refs.map((ref) => activities.publish({ ...ref, activate: true, actor: 'test' })));
      const elapsed = Date.now() - started;

      const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
      expect(failures).toEqual([]);
      // Each publish of a rotation wrote a new version of its mapped secrets; none waited out a timeout.
      for (const r of results) expect(r.status === 'fulfilled' && typeof r.value.secretVersion).toBe('number');
      expect(elapsed).toBeLessThan(CONNECT_TIMEOUT_MS * 2);

      // What was published is what was staged: the last publish of each rotation (either slot) is in its secrets.
      for (const r of rotations) {
        const secrets = await readSecrets(pool, db.box, { folderId: r.folderId });
        const published = secrets.find((s) => s.secretKey === 'POSTGRES_DB_PASSWORD')!.secretValue;
        const staged = await Promise.all(([0, 1] as const).map((slot) => readCredential(pool, db.box, { rotationId: r.id, slot, generation: 500 })));
        expect(staged).toContain(published);
      }
    } finally {
      await pool.end();
    }
  });
});
