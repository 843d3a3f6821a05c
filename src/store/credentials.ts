import type { Slot } from '../domain/rotation-types.js';
import { aad } from './secret-box.js';
import type { Queryable } from './db.js';
import type { SecretBox } from './secret-box.js';

export interface CredentialKey {
  rotationId: string;
  slot: Slot;
  generation: number;
}

/** Stores a generated password as staged. Returns false when one was staged already (idempotent retry). */
export async function stageCredential(db: Queryable, box: SecretBox, key: CredentialKey, password: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO credentials (rotation_id, slot, generation, status, password_enc) VALUES ($1, $2, $3, 'staged', $4)
     ON CONFLICT (rotation_id, slot, generation) DO NOTHING`,
    [key.rotationId, key.slot, key.generation, box.seal(password, aad.credential(key.rotationId, key.slot, key.generation))],
  );
  return (rowCount ?? 0) > 0;
}

export async function credentialExists(db: Queryable, key: CredentialKey): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM credentials WHERE rotation_id = $1 AND slot = $2 AND generation = $3', [
    key.rotationId,
    key.slot,
    key.generation,
  ]);
  return (rowCount ?? 0) > 0;
}

/** The password of (rotation, slot, generation), staged or current. */
export async function readCredential(db: Queryable, box: SecretBox, key: CredentialKey): Promise<string> {
  const { rows } = await db.query(
    'SELECT password_enc FROM credentials WHERE rotation_id = $1 AND slot = $2 AND generation = $3',
    [key.rotationId, key.slot, key.generation],
  );
  if (!rows[0]) throw new Error(`no password staged for rotation ${key.rotationId} slot ${key.slot} generation ${key.generation}`);
  return box.open(rows[0].password_enc, aad.credential(key.rotationId, key.slot, key.generation));
}

export interface CurrentCredential {
  slot: Slot;
  generation: number;
  password: string;
  updatedAt: string;
}

/** The current password of each slot (for generated-credentials and drift checks). */
export async function readCurrentCredentials(db: Queryable, box: SecretBox, rotationId: string): Promise<CurrentCredential[]> {
  const { rows } = await db.query(
    `SELECT slot, generation, password_enc, updated_at FROM credentials
     WHERE rotation_id = $1 AND status = 'current' ORDER BY slot`,
    [rotationId],
  );
  return rows.map((r) => ({
    slot: r.slot as Slot,
    generation: r.generation as number,
    password: box.open(r.password_enc, aad.credential(rotationId, r.slot, r.generation)),
    updatedAt: (r.updated_at as Date).toISOString(),
  }));
}

/**
 * Makes (rotation, slot, generation) the slot's current password, dropping the slot's previous one and any
 * abandoned staged attempts. Returns false when it already was current (a retried publish).
 */
export async function promoteCredential(db: Queryable, key: CredentialKey): Promise<boolean> {
  const { rows } = await db.query(
    'SELECT status FROM credentials WHERE rotation_id = $1 AND slot = $2 AND generation = $3 FOR UPDATE',
    [key.rotationId, key.slot, key.generation],
  );
  if (!rows[0]) throw new Error(`no password staged for rotation ${key.rotationId} slot ${key.slot} generation ${key.generation}`);
  if (rows[0].status === 'current') return false;
  await db.query('DELETE FROM credentials WHERE rotation_id = $1 AND slot = $2 AND generation <> $3', [
    key.rotationId,
    key.slot,
    key.generation,
  ]);
  await db.query(
    `UPDATE credentials SET status = 'current', updated_at = now() WHERE rotation_id = $1 AND slot = $2 AND generation = $3`,
    [key.rotationId, key.slot, key.generation],
  );
  return true;
}
