/** `pg-rotator connection …`: admin connections to target databases. */
import type { Command } from 'commander';
import { createConnectionSchema } from '../../domain/connection-schemas.js';
import { addConnection, listAllConnections, removeConnection } from '../../service/connections.js';
import { parseInput } from '../../service/errors.js';
import { CliError } from '../errors.js';
import { compact, flagHints, projectIdOption } from '../flags.js';
import { formatConnection, formatConnectionTable } from '../output.js';
import { type JsonOpt, leaf, type Session } from '../session.js';

export interface ConnectionFlags {
  name?: string;
  project?: string;
  host?: string;
  port?: string;
  database?: string;
  username?: string;
  ssl?: boolean;
  sslCaFile?: string;
  sslRejectUnauthorized?: boolean;
  description?: string;
}

const connectionFlagFor = flagHints({
  name: '--name',
  projectId: '--project',
  description: '--description',
  'credentials.host': '--host',
  'credentials.port': '--port',
  'credentials.database': '--database',
  'credentials.username': '--username',
  'credentials.sslCertificate': '--ssl-ca-file',
});

/** The API's app-connection body; the password and CA certificate are read by the caller (stdin/env/file). */
export function connectionBodyFromFlags(f: ConnectionFlags, password: string | undefined, sslCertificate?: string): Record<string, unknown> {
  return compact({
    name: f.name,
    projectId: f.project,
    description: f.description,
    method: 'username-and-password',
    credentials: compact({
      host: f.host,
      port: f.port,
      database: f.database,
      username: f.username,
      password,
      sslEnabled: f.ssl ?? false,
      sslRejectUnauthorized: f.sslRejectUnauthorized ?? true,
      sslCertificate,
    }),
  });
}

/** A password read from stdin: one trailing newline (from `echo` or a file) is not part of it. */
export function passwordFromStdin(text: string): string {
  return text.replace(/\r?\n$/, '');
}

type AddFlags = ConnectionFlags & JsonOpt & { passwordStdin?: boolean; passwordEnv?: string };

async function readPassword(session: Session, opts: AddFlags): Promise<string> {
  const rt = session.rt;
  if (opts.passwordStdin && opts.passwordEnv !== undefined) {
    throw new CliError('usage', 'give the password with --password-stdin or with --password-env, not both');
  }
  if (opts.passwordStdin) return passwordFromStdin(await rt.readStdin());
  if (opts.passwordEnv !== undefined) {
    const password = rt.env[opts.passwordEnv];
    if (password === undefined) throw new CliError('usage', `environment variable ${opts.passwordEnv} (--password-env) is not set`);
    return password;
  }
  const rule = 'is required: pipe it with --password-stdin or name a variable with --password-env VAR (never an argument)';
  throw new CliError('usage', `credentials.password ${rule}`, [{ field: 'credentials.password', rule, message: `credentials.password ${rule}` }]);
}

export function connectionCommands(program: Command, session: Session): void {
  const rt = session.rt;
  const connection = program.command('connection').description('admin connections to target databases');

  leaf(connection, 'add', 'add a connection (its login is tested first; the password is stored encrypted, never shown)')
    .option('--name <slug>', 'connection name, unique in the project')
    .option('--project <uuid>', 'project id')
    .option('--host <host>', 'server host name or IP')
    .option('--port <port>', 'server port (default 5432)')
    .option('--database <name>', 'database to connect to')
    .option('--username <role>', 'admin role (CREATEROLE, or superuser)')
    .option('--password-stdin', 'read the admin password from stdin (one trailing newline is dropped)')
    .option('--password-env <VAR>', 'read the admin password from environment variable VAR')
    .option('--ssl', 'connect with TLS')
    .option('--ssl-ca-file <file>', 'PEM file with the CA certificate(s) to trust')
    .option('--no-ssl-reject-unauthorized', 'with --ssl: do not verify the server certificate (insecure)')
    .option('--description <text>', 'description')
    .addHelpText(
      'after',
      '\nThe password is never accepted as an argument: arguments are visible to other users in `ps` and are kept in\n' +
        'shell history. Pipe it in:      printf %s "$PW" | pg-rotator connection add ... --password-stdin\n' +
        'or name a variable holding it:  pg-rotator connection add ... --password-env PGPASSWORD\n',
    )
    .action(async (opts: AddFlags) => {
      session.flagFor = connectionFlagFor;
      const password = await readPassword(session, opts);
      if (password) rt.secrets.push(password);
      let ca: string | undefined;
      if (opts.sslCaFile !== undefined) {
        try {
          ca = await rt.readFile(opts.sslCaFile);
        } catch (err) {
          throw new CliError('usage', `cannot read --ssl-ca-file ${opts.sslCaFile}: ${(err as Error).message}`);
        }
      }
      const input = parseInput(createConnectionSchema, connectionBodyFromFlags(opts, password, ca)); // before connecting to anything
      const created = await addConnection(await session.context(), input, rt.actor);
      session.print(opts, created, () => formatConnection(created));
    });

  leaf(connection, 'list', 'list connections')
    .option('--project <uuid>', 'only this project')
    .action(async (opts: JsonOpt & { project?: string }) => {
      const projectId = projectIdOption(opts.project); // before connecting to anything
      const list = await listAllConnections(await session.context(), projectId);
      session.print(opts, list, () => formatConnectionTable(list));
    });

  leaf(connection, 'remove <id>', 'remove a connection that no rotation uses').action(async (id: string, opts: JsonOpt) => {
    await removeConnection(await session.context(), id, rt.actor);
    session.print(opts, { removed: true, id }, () => `removed connection ${id}\n`);
  });
}
