import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCurrentCredentials } from '../../src/store/credentials.js';
import { createRotation, getRotationView, rotateRotation } from '../../src/service/rotations.js';
import { readFolderSecrets } from '../../src/service/secrets.js';
import { rememberPasswords } from '../support/passwords.js';
import { canLogin, openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

// End to end on the real stack: Temporal dev server, worker, control database, and a scram-sha-256 target.
let stack: TestStack;
let target: TestTarget;

beforeAll(async () => {
  stack = await openTestStack();
  await stack.startWorker('worker-e2e');
  target = await stack.newTarget('e2e');
});

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db);
  await stack?.close();
});

async function mapped(): Promise<{ username: string; password: string; version: number }> {
  const secrets = await readFolderSecrets(stack.ctx, { projectId: target.projectId, environment: 'dev', secretPath: '/' }, 'test');
  const byKey = new Map(secrets.map((s) => [s.secretKey, s]));
  const u = byKey.get('POSTGRES_DB_USERNAME')!;
  const p = byKey.get('POSTGRES_DB_PASSWORD')!;
  expect(u.version).toBe(p.version); // I4: the pair changes together
  return { username: u.secretValue, password: p.secretValue, version: p.version };
}

describe('dual-phase rotation end to end', () => {
  it('create issues both roles, invalidates the temporary passwords, publishes slot 0; rotate-now cycles keep I1/I2', async () => {
    expect(await canLogin(target.database, target.roles[0], target.temporaryPassword)).toBe(true);
    const created = await createRotation(stack.ctx, target.rotationInput(), 'test');
    expect(created.activeIndex).toBe(0);
    expect(created.rotationStatus).toBe('success');
    expect(created.type).toBe('postgres-credentials');

    // Both temporary passwords stopped working; slot 0 is published and logs in; slot 1 holds its own fresh password.
    expect(await canLogin(target.database, target.roles[0], target.temporaryPassword)).toBe(false);
    expect(await canLogin(target.database, target.roles[1], target.temporaryPassword)).toBe(false);
    let pair = await mapped();
    expect(pair).toMatchObject({ username: target.roles[0], version: 1 });
    expect(await canLogin(target.database, pair.username, pair.password)).toBe(true);
    const slots = await readCurrentCredentials(stack.ctx.db.pool, stack.ctx.db.box, created.id);
    expect(slots.map((s) => s.slot)).toEqual([0, 1]);
    expect(await canLogin(target.database, target.roles[1], slots[1]!.password)).toBe(true);
    await rememberPasswords(stack.ctx.db);

    const history = [pair];
    for (let cycle = 1; cycle <= 3; cycle++) {
      const rotated = await rotateRotation(stack.ctx, created.id, {}, 'test');
      expect(rotated.activeIndex).toBe(cycle % 2);
      expect(rotated.rotationStatus).toBe('success');
      pair = await mapped();
      expect(pair.version).toBe(history.at(-1)!.version + 1);
      expect(pair.username).toBe(target.roles[cycle % 2]);
      expect(await canLogin(target.database, pair.username, pair.password)).toBe(true); // the mapped pair logs in
      const previous = history.at(-1)!;
      expect(await canLogin(target.database, previous.username, previous.password)).toBe(true); // I2: previous still valid
      if (history.length >= 2) {
        const twoAgo = history.at(-2)!;
        expect(await canLogin(target.database, twoAgo.username, twoAgo.password)).toBe(false); // and no older one
      }
      history.push(pair);
      await rememberPasswords(stack.ctx.db);
    }

    const view = await getRotationView(stack.ctx, created.id);
    expect(view.activeIndex).toBe(1);
    expect(Date.parse(view.nextRotationAt!)).toBeGreaterThan(Date.parse(view.lastRotatedAt!));
    // Older secret versions stay readable.
    const v1 = await readFolderSecrets(stack.ctx, { projectId: target.projectId, environment: 'dev', secretPath: '/', key: 'POSTGRES_DB_PASSWORD', version: 1 }, 'test');
    expect(v1[0]!.secretValue).toBe(history[0]!.password);
  });
});
