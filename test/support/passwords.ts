import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import type { ControlDb } from '../../src/store/db.js';
import { aad } from '../../src/store/secret-box.js';

const ledger = () => path.join(inject('testDataDir'), 'generated-passwords.jsonl');

/**
 * Every password the control database holds right now (credentials of every slot and every secret version),
 * appended to a ledger of the run: the leak audit searches logs and histories for each of them at the end.
 */
export async function rememberPasswords(db: ControlDb): Promise<string[]> {
  const found = new Set<string>();
  const creds = await db.pool.query('SELECT rotation_id, slot, generation, password_enc FROM credentials');
  for (const r of creds.rows) found.add(db.box.open(r.password_enc, aad.credential(r.rotation_id, r.slot, r.generation)));
  // Only the password secrets: the mapped username secrets hold role names, which are not secret.
  const versions = await db.pool.query(
    `SELECT v.secret_id, v.version, v.value_enc FROM secret_versions v JOIN secrets s ON s.id = v.secret_id
     JOIN rotations r ON r.id = s.rotation_id WHERE s.key = r.config->'secretsMapping'->>'password'`,
  );
  for (const r of versions.rows) found.add(db.box.open(r.value_enc, aad.secretVersion(r.secret_id, r.version)));
  const list = [...found];
  if (list.length > 0) appendFileSync(ledger(), list.map((p) => JSON.stringify(p)).join('\n') + '\n');
  return list;
}

export function rememberedPasswords(): string[] {
  if (!existsSync(ledger())) return [];
  return [...new Set(readFileSync(ledger(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string))];
}
