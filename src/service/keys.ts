/**
 * Root key rotation: which keys the stored secrets are sealed under, and moving them all to the ring's current
 * (first) key, a batch per transaction, so that the old key can leave the ring.
 */
import type { ReencryptOptions } from '../domain/key-schemas.js';
import { withTransaction } from '../store/db.js';
import { countByKeyId, type KeyIdCount, reencryptBatch, SEALED_TABLES, type SealedTable } from '../store/reencrypt.js';
import type { ServiceContext } from './context.js';
import { ServiceError } from './errors.js';

export interface KeyStatus {
  /** The key new ciphertexts are sealed under. */
  currentKeyId: string;
  /** This process's ring, current key first. */
  ring: string[];
  /** Ciphertexts per table and key id (keyId null: a format this version does not know). */
  counts: (KeyIdCount & { inRing: boolean })[];
  /** Ciphertexts not under the current key: what `re-encrypt` has left to do. */
  left: number;
  /** Of those, the ones sealed under a key the ring does not hold: unreadable until that key is back in the ring. */
  unreadable: number;
}

export async function keyStatus(ctx: ServiceContext): Promise<KeyStatus> {
  const ring = ctx.db.box.ring.keys.map((k) => k.id);
  const currentKeyId = ctx.db.box.currentKeyId;
  const counts = (await countByKeyId(ctx.db.pool)).map((c) => ({ ...c, inRing: c.keyId !== null && ring.includes(c.keyId) }));
  const sum = (cs: typeof counts) => cs.reduce((n, c) => n + c.rows, 0);
  return {
    currentKeyId,
    ring,
    counts,
    left: sum(counts.filter((c) => c.keyId !== currentKeyId)),
    unreadable: sum(counts.filter((c) => !c.inRing)),
  };
}

export interface ReencryptProgress {
  table: SealedTable;
  /** Rows re-encrypted by this batch. */
  rows: number;
  /** Rows re-encrypted by this run so far. */
  total: number;
}

export interface ReencryptResult {
  reencrypted: number;
  batches: number;
  /** What is left afterwards (left > 0: stopped by maxBatches, rows locked at the time, or written by a process on the old ring). */
  status: KeyStatus;
}

/**
 * Re-seals every ciphertext under an older key of the ring with the current key, `batchSize` rows per transaction.
 * Idempotent and resumable: rows already under the current key are not touched, and a run stopped at any point
 * leaves every row sealed under a key of the ring. Safe while workers and the API run, once every one of them has
 * the new ring (else they cannot read what this writes). Refuses, changing nothing, while some ciphertext is under
 * a key the ring does not hold.
 */
export async function reencryptSecrets(ctx: ServiceContext, options: ReencryptOptions, onBatch: (p: ReencryptProgress) => void = () => {}): Promise<ReencryptResult> {
  const before = await keyStatus(ctx);
  if (before.unreadable > 0) {
    const missing = before.counts.filter((c) => !c.inRing).map((c) => `${c.table}: ${c.rows} under ${c.keyId === null ? 'an unknown format' : `key "${c.keyId}"`}`);
    throw new ServiceError(
      'failed',
      `${before.unreadable} stored secrets are sealed under keys ${ctx.db.box.ring.variable} does not hold (${missing.join('; ')}): ` +
        'add those keys to the ring, after the current one, and run again; nothing was re-encrypted',
    );
  }
  const from = before.ring.filter((id) => id !== before.currentKeyId);
  let reencrypted = 0;
  let batches = 0;
  for (const table of SEALED_TABLES) {
    while (options.maxBatches === undefined || batches < options.maxBatches) {
      const rows = await withTransaction(ctx.db.pool, (tx) => reencryptBatch(tx, ctx.db.box, table, from, options.batchSize));
      if (rows === 0) break;
      batches += 1;
      reencrypted += rows;
      onBatch({ table, rows, total: reencrypted });
    }
  }
  return { reencrypted, batches, status: await keyStatus(ctx) };
}
