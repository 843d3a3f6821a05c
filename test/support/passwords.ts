import { appendFileSync } from 'node:fs';
import { inject } from 'vitest';
import type { ControlDb } from '../../src/store/db.js';
import { ledgerFile } from './leak-audit.js';
import { storedPasswords } from './leak-scan.js';

/**
 * Every password the control database holds right now (credentials of every slot and every secret version),
 * appended to the run's ledger: the global teardown searches logs, histories and the control database for each.
 * Tests call it before they delete what holds passwords (rotations), so that those are searched for too.
 */
export async function rememberPasswords(db: ControlDb): Promise<string[]> {
  const { generated } = await storedPasswords(db);
  if (generated.length > 0) appendFileSync(ledgerFile(inject('testDataDir')), generated.map((p) => JSON.stringify(p)).join('\n') + '\n');
  return generated;
}
