/** `pg-rotator token …`: API bearer tokens. */
import type { Command } from 'commander';
import { createTokenSchema, TOKEN_ACTIONS } from '../../domain/token-schemas.js';
import { parseInput } from '../../service/errors.js';
import { createToken, listTokens, revokeToken } from '../../service/tokens.js';
import { compact, flagHints, projectIdOption, splitList } from '../flags.js';
import { formatCreatedToken, formatToken, formatTokenTable } from '../output.js';
import { type JsonOpt, leaf, type Session } from '../session.js';

export interface TokenFlags {
  name?: string;
  project?: string;
  actions?: string;
}

const tokenFlagFor = flagHints({ name: '--name', projectId: '--project', actions: '--actions' });

/** The create-token body ({ name, projectId, actions }) from `token create` flags. */
export function tokenBodyFromFlags(f: TokenFlags): Record<string, unknown> {
  return compact({ name: f.name, projectId: f.project, actions: splitList(f.actions) });
}

export function tokenCommands(program: Command, session: Session): void {
  const rt = session.rt;
  const token = program.command('token').description('API bearer tokens (scoped to a project and actions; stored hashed, shown once)');

  leaf(token, 'create', 'create a token for one project; prints it once')
    .option('--project <uuid>', 'the project the token may act on (projectId)')
    .option('--name <name>', 'a name to recognise the token by (1–64 characters)')
    .option('--actions <list>', `comma-separated actions: ${TOKEN_ACTIONS.join(',')}`)
    .addHelpText(
      'after',
      '\nThe token is printed once (with --json, in the "token" field): only its SHA-256 is stored, so it cannot be\n' +
        'shown again. Lost it? Revoke it (`token revoke <id>`) and create another.\n',
    )
    .action(async (opts: TokenFlags & JsonOpt) => {
      session.flagFor = tokenFlagFor;
      const input = parseInput(createTokenSchema, tokenBodyFromFlags(opts)); // before connecting to anything
      const created = await createToken(await session.context(), input, rt.actor);
      rt.secrets.push(created.token);
      session.print(opts, created, () => formatCreatedToken(created));
    });

  leaf(token, 'list', 'list tokens (never the tokens themselves), revoked ones too')
    .option('--project <uuid>', 'only this project')
    .action(async (opts: JsonOpt & { project?: string }) => {
      session.flagFor = tokenFlagFor;
      const projectId = projectIdOption(opts.project); // before connecting to anything
      const list = await listTokens(await session.context(), projectId);
      session.print(opts, list, () => formatTokenTable(list));
    });

  leaf(token, 'revoke <id>', 'revoke a token: it stops working at once').action(async (id: string, opts: JsonOpt) => {
    const revoked = await revokeToken(await session.context(), id, rt.actor);
    session.print(opts, revoked, () => formatToken(revoked));
  });
}
