import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import type { ControlDb } from '../../src/store/db.js';
import { storedPasswords } from './leak-scan.js';

const ledger = () => path.join(inject('testDataDir'), 'generated-passwords.jsonl');

/**
 * Every password the control database holds right now (credentials of every slot and every secret version),
 * appended to a ledger of the run: the leak audit searches logs and histories for each of them at the end.
 */
export async function rememberPasswords(db: ControlDb): Promise<string[]> {
  const { generated } = await storedPasswords(db);
  if (generated.length > 0) appendFileSync(ledger(), generated.map((p) => JSON.stringify(p)).join('\n') + '\n');
  return generated;
}

export function rememberedPasswords(): string[] {
  if (!existsSync(ledger())) return [];
  return [...new Set(readFileSync(ledger(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string))];
}
