import type { Queryable } from './db.js';
import { aad, type SecretBox } from './secret-box.js';

/** A column holding sealed secret material: where it is, how its rows are keyed, and the associated data of a row. */
interface SealedColumn {
  table: SealedTable;
  column: string;
  primaryKey: readonly string[];
  aad(row: Record<string, unknown>): string;
}

export type SealedTable = 'connections' | 'credentials' | 'secret_versions';

/**
 * Every column of the control database that holds a ciphertext (each has a generated `key_id`, read from the
 * envelope). Tokens are stored as hashes and webhook payloads hold no secrets: neither is sealed.
 */
const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'connections', column: 'password_enc', primaryKey: ['id'], aad: (r) => aad.connectionPassword(r.id as string) },
  {
    table: 'credentials',
    column: 'password_enc',
    primaryKey: ['rotation_id', 'slot', 'generation'],
    aad: (r) => aad.credential(r.rotation_id as string, r.slot as number, r.generation as number),
  },
  { table: 'secret_versions', column: 'value_enc', primaryKey: ['secret_id', 'version'], aad: (r) => aad.secretVersion(r.secret_id as string, r.version as number) },
];

export const SEALED_TABLES: readonly SealedTable[] = SEALED_COLUMNS.map((c) => c.table);

export interface KeyIdCount {
  table: SealedTable;
  /** null: a ciphertext in a format this code does not know. */
  keyId: string | null;
  rows: number;
}

/** How many ciphertexts each key id seals, per table. */
export async function countByKeyId(db: Queryable): Promise<KeyIdCount[]> {
  const { rows } = await db.query(
    SEALED_COLUMNS.map((c) => `SELECT '${c.table}' AS table_name, key_id, count(*) AS n FROM ${c.table} GROUP BY key_id`).join(' UNION ALL ') +
      ' ORDER BY table_name, key_id',
  );
  return rows.map((r) => ({ table: r.table_name as SealedTable, keyId: r.key_id as string | null, rows: Number(r.n) }));
}

/**
 * Re-seals up to `limit` rows of `table` that are sealed under one of `fromKeyIds` with the box's current key, in
 * the caller's transaction, and returns how many. Rows are locked until it ends; rows another transaction holds
 * (a rotation publishing a credential, a connection being edited) are skipped, not waited for: that transaction
 * cannot deadlock with this one, and a later batch picks them up. Only the ciphertext changes (not updated_at).
 */
export async function reencryptBatch(tx: Queryable, box: SecretBox, table: SealedTable, fromKeyIds: readonly string[], limit: number): Promise<number> {
  const c = SEALED_COLUMNS.find((s) => s.table === table)!;
  const key = c.primaryKey.join(', ');
  const { rows } = await tx.query(
    `SELECT ${key}, ${c.column} AS sealed FROM ${c.table} WHERE key_id = ANY($1) ORDER BY ${key} LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED`,
    [fromKeyIds, limit],
  );
  const match = c.primaryKey.map((k, i) => `${k} = $${i + 2}`).join(' AND ');
  for (const row of rows) {
    const data = c.aad(row);
    await tx.query(`UPDATE ${c.table} SET ${c.column} = $1 WHERE ${match}`, [box.seal(box.open(row.sealed, data), data), ...c.primaryKey.map((k) => row[k])]);
  }
  return rows.length;
}
