/** `pg-rotator audit …`: audit events. */
import type { Command } from 'commander';
import { auditQuerySchema } from '../../domain/audit-schemas.js';
import { listAuditEvents } from '../../service/audit.js';
import { parseInput } from '../../service/errors.js';
import { compact, flagHints } from '../flags.js';
import { formatAuditTable } from '../output.js';
import { type JsonOpt, leaf, type Session } from '../session.js';

export function auditCommands(program: Command, session: Session): void {
  const audit = program.command('audit').description('audit events: rotations, failures, config changes, credential and secret reads');

  leaf(audit, 'list', 'list audit events of a project, newest first')
    .option('--project <uuid>', 'project id')
    .option('--rotation <uuid>', 'only this rotation')
    .option('--limit <n>', 'at most this many (1–1000, default 100)')
    .action(async (opts: JsonOpt & { project?: string; rotation?: string; limit?: string }) => {
      session.flagFor = flagHints({ projectId: '--project', rotationId: '--rotation', limit: '--limit' });
      const query = parseInput(auditQuerySchema, compact({ projectId: opts.project, rotationId: opts.rotation, limit: opts.limit })); // before connecting to anything
      const events = await listAuditEvents(await session.context(), query);
      session.print(opts, events, () => formatAuditTable(events));
    });
}
