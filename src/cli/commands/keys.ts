/** `pg-rotator keys …`: the root keys the stored secrets are sealed under, and moving them to the current key. */
import type { Command } from 'commander';
import { reencryptOptionsSchema } from '../../domain/key-schemas.js';
import { parseInput } from '../../service/errors.js';
import { type KeyStatus, keyStatus, reencryptSecrets } from '../../service/keys.js';
import { EXIT_CODES } from '../errors.js';
import { compact, flagHints } from '../flags.js';
import { formatTable, keyValues } from '../output.js';
import { type JsonOpt, leaf, type Session } from '../session.js';

function formatKeyStatus(s: KeyStatus): string {
  const table = formatTable(
    ['TABLE', 'KEY ID', 'ROWS', 'IN RING'],
    s.counts.map((c) => [c.table, c.keyId ?? '(unknown format)', c.rows, c.keyId === s.currentKeyId ? 'yes (current)' : c.inRing ? 'yes' : 'NO']),
  );
  const pairs: [string, unknown][] = [
    ['current key', s.currentKeyId],
    ['ring', s.ring.join(', ')],
    ['left', `${s.left} not under the current key${s.unreadable > 0 ? `, ${s.unreadable} of them under keys the ring does not hold (unreadable)` : ''}`],
  ];
  return `${keyValues(pairs)}\n${table}`;
}

export function keysCommands(program: Command, session: Session): void {
  const rt = session.rt;
  const keys = program
    .command('keys')
    .description('root keys: which keys the stored secrets are sealed under; re-encrypt them under the current key')
    .addHelpText(
      'after',
      '\nThe ring comes from ROTATOR_ENCRYPTION_KEYS (id:key,…, the first key seals, all open) or ROTATOR_ENCRYPTION_KEY\n' +
        '(one key, id "default"). To rotate: put the new key first in the ring of every worker, API and CLI, restart them,\n' +
        'run `keys re-encrypt`, check `keys status` shows 0 left, then remove the old key from the ring.\n',
    );

  leaf(keys, 'status', 'count the stored secrets per table and key id, and what is not under the current key yet').action(async (opts: JsonOpt) => {
    const status = await keyStatus(await session.context());
    session.print(opts, status, () => formatKeyStatus(status));
  });

  leaf(keys, 're-encrypt', 're-encrypt every stored secret under the current (first) key, a batch per transaction; resumable')
    .option('--batch-size <n>', 'rows per transaction (1–10000, default 100)')
    .option('--max-batches <n>', 'stop after this many batches (run again to continue); default: until done')
    .action(async (opts: JsonOpt & { batchSize?: string; maxBatches?: string }) => {
      session.flagFor = flagHints({ batchSize: '--batch-size', maxBatches: '--max-batches' });
      const options = parseInput(reencryptOptionsSchema, compact({ batchSize: opts.batchSize, maxBatches: opts.maxBatches })); // before connecting to anything
      const ctx = await session.context();
      const result = await reencryptSecrets(ctx, options, (p) => rt.stderr(`${p.table}: re-encrypted ${p.rows} (${p.total} in this run)\n`));
      const stopped = options.maxBatches !== undefined && result.batches === options.maxBatches;
      const { left } = result.status;
      session.print(opts, result, () => {
        const summary = `re-encrypted ${result.reencrypted} stored secrets under key "${result.status.currentKeyId}" in ${result.batches} batches\n`;
        const next =
          left === 0
            ? 'nothing left under other keys: the old keys may leave the ring\n'
            : stopped
              ? `stopped after ${result.batches} batches (--max-batches): ${left} left, run again to continue\n`
              : `${left} left: rows locked by a running transaction are skipped (run again); if the count does not go down, a process still seals with an older key\n`;
        return `${summary}${formatKeyStatus(result.status)}\n${next}`;
      });
      if (left > 0 && !stopped) session.exitCode = EXIT_CODES.failed;
    });
}
