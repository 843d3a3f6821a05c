/** `pg-rotator secrets …`: read mapped secrets (every read is audited). */
import type { Command } from 'commander';
import { secretQuerySchema } from '../../domain/secret-schemas.js';
import { parseInput } from '../../service/errors.js';
import { readFolderSecrets } from '../../service/secrets.js';
import { CliError } from '../errors.js';
import { flagHints } from '../flags.js';
import { formatSecretsTable } from '../output.js';
import { type JsonOpt, leaf, type Session } from '../session.js';

/** The flags that name a folder (`secrets …` and `run`). */
export const secretScopeFlagFor = flagHints({ projectId: '--project', environment: '--env', secretPath: '--path', version: '--version' });

type ScopeFlags = JsonOpt & { project?: string; env?: string; path?: string };

const secretScope = (cmd: Command) =>
  cmd
    .option('--project <uuid>', 'project id')
    .option('--env <slug>', 'environment slug')
    .option('--path <path>', 'folder path', '/');

export function secretsCommands(program: Command, session: Session): void {
  const rt = session.rt;
  const secrets = program.command('secrets').description('read mapped secrets (every read is audited)');

  secretScope(leaf(secrets, 'list', 'list the secrets of a folder with their values')).action(async (opts: ScopeFlags) => {
    session.flagFor = secretScopeFlagFor;
    const query = parseInput(secretQuerySchema, { projectId: opts.project, environment: opts.env, secretPath: opts.path }); // before connecting to anything
    const list = await readFolderSecrets(await session.context(), query, rt.actor);
    session.print(opts, list, () => formatSecretsTable(list));
  });

  secretScope(leaf(secrets, 'get <key>', 'print the value of one secret (latest version unless --version)'))
    .option('--version <n>', 'a given version')
    .action(async (key: string, opts: ScopeFlags & { version?: string }) => {
      session.flagFor = secretScopeFlagFor;
      const query = parseInput(secretQuerySchema, { projectId: opts.project, environment: opts.env, secretPath: opts.path, key, version: opts.version });
      const [secret] = await readFolderSecrets(await session.context(), query, rt.actor);
      if (!secret) throw new CliError('not-found', `key must name an existing secret: ${key} not found`);
      session.print(opts, secret, () => `${secret.secretValue}\n`);
    });
}
