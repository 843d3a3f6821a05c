/**
 * The `pg-rotator` command tree. Every command goes through the service layer (shared with the REST API);
 * this file only turns flags into request bodies and results into text or JSON.
 */
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { createConnectionSchema } from '../domain/connection-schemas.js';
import { createEnvironmentSchema, createProjectSchema } from '../domain/project-schemas.js';
import { createRotationSchema, updateRotationSchema } from '../domain/rotation-schemas.js';
import { createTokenSchema, TOKEN_ACTIONS } from '../domain/token-schemas.js';
import type { RotationView } from '../domain/rotation-types.js';
import { addConnection, listAllConnections, removeConnection } from '../service/connections.js';
import type { ServiceContext } from '../service/context.js';
import { parseInput } from '../service/errors.js';
import { addEnvironment, createProject, listAllProjects, requireProject } from '../service/projects.js';
import {
  createRotation,
  deleteRotation,
  getRotationView,
  incidentRotation,
  incidentRotationWarning,
  listRotationViews,
  requestRotation,
  rotateRotation,
  updateRotation,
} from '../service/rotations.js';
import { checkRotation } from '../service/rotation-check.js';
import { readFolderSecrets } from '../service/secrets.js';
import { listAuditEvents } from '../service/audit.js';
import { createToken, listTokens, revokeToken } from '../service/tokens.js';
import {
  type ConnectionFlags,
  compact,
  connectionBodyFromFlags,
  createBodyFromFlags,
  flagForField,
  hasBodyFlags,
  passwordFromStdin,
  type RotationFlags,
  type TokenFlags,
  tokenBodyFromFlags,
  updateNeedsCurrent,
  updatePatchFromFlags,
} from './bodies.js';
import {
  CliError,
  EXIT_CODES,
  EXIT_CODES_HELP,
  errorReport,
  formatConnection,
  formatConnectionTable,
  formatCreatedToken,
  formatEnvironment,
  formatErrorHuman,
  formatErrorJson,
  formatJson,
  formatProject,
  formatProjectTable,
  formatRotation,
  formatAuditTable,
  formatRotationCheck,
  formatRotationTable,
  formatSecretsTable,
  formatToken,
  formatTokenTable,
  printable,
} from './output.js';
import { childEnvironment, runChild, WITHHELD_VARIABLES } from './run-command.js';
import type { CliRuntime } from './runtime.js';

interface JsonOpt {
  json?: boolean;
}

/** One CLI invocation: the lazily opened service context and how errors should be shown. */
class Session {
  private ctx: ServiceContext | undefined;
  /** Set when the body came from flags: error details then name the flag as well as the body field. */
  flagHints = false;
  /** Set by a command whose exit code is not the CLI's own (`run`: the child's). */
  exitCode: number | undefined;

  constructor(readonly rt: CliRuntime) {}

  async context(): Promise<ServiceContext> {
    this.ctx ??= await this.rt.openContext();
    return this.ctx;
  }

  async close(): Promise<void> {
    const ctx = this.ctx;
    this.ctx = undefined;
    await ctx?.close();
  }

  print(opts: JsonOpt, json: unknown, human: () => string): void {
    this.rt.stdout(opts.json ? formatJson(json) : human());
  }
}

/** `--json` anywhere before a `--` terminator (known before parsing, so usage errors can be JSON too). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

const projectIdSchema = z.strictObject({ projectId: createRotationSchema.shape.projectId.optional() });

async function readJsonBody(rt: CliRuntime, file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await rt.readStdin() : await rt.readFile(file);
  } catch (err) {
    throw new CliError('usage', `cannot read --file ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const rule = `must be valid JSON (${(err as Error).message})`;
    throw new CliError('validation', `body ${rule}`, [{ field: 'body', rule, message: `body ${rule}` }]);
  }
}

function addRotationBodyOptions(cmd: Command, mode: 'create' | 'update'): Command {
  if (mode === 'create') {
    cmd
      .option('--project <uuid>', 'project id (projectId)')
      .option('--connection <id>', 'connection id (connectionId), see `connection list`')
      .option('--env <slug>', 'environment slug (environment)')
      .option('--path <path>', 'folder of the mapped secrets (secretPath), default /')
      .option('--username1 <role>', 'first rotated login role (parameters.username1)')
      .option('--username2 <role>', 'second rotated login role (parameters.username2)');
  }
  return cmd
    .option('--name <slug>', 'rotation name: lowercase letters, digits, hyphens')
    .option('--description <text>', 'description (≤ 256 characters)')
    .option('--interval <days>', 'rotationInterval: days between rotations (default 30 on create)')
    .option('--rotate-at <HH:MM>', 'rotateAtUtc: UTC time of day of automatic rotations (default 00:00)')
    .addOption(new Option('--auto', 'enable automatic rotation (isAutoRotationEnabled, the default)'))
    .addOption(new Option('--no-auto', 'disable automatic rotation (rotate manually only)'))
    .option('--username-secret <name>', 'secret that holds the active username (secretsMapping.username)')
    .option('--password-secret <name>', 'secret that holds the active password (secretsMapping.password)')
    .option('--rotation-statement <sql>', 'custom statement with {{username}} and {{password}} (and {{database}})')
    .option('--rotation-statement-password <form>', 'verifier (default) or plaintext: what {{password}} becomes in a custom statement')
    .option('--password-length <n>', 'generated password length 1–250 (default 48)')
    .option('--password-digits <n>', 'at least n digits (default 1)')
    .option('--password-lowercase <n>', 'at least n lowercase letters (default 1)')
    .option('--password-uppercase <n>', 'at least n uppercase letters (default 1)')
    .option('--password-symbols <n>', 'at least n symbols (default 0)')
    .option('--allowed-symbols <chars>', 'symbols a password may contain (default -_.~!*)')
    .option(
      '--minimum-overlap <seconds>',
      'minimumOverlapSeconds: refuse a manual rotation (unless --force) while the credential it overwrites stopped being active less than this long ago (default 0: never)',
    );
}

function buildProgram(session: Session, json: boolean): Command {
  const rt = session.rt;
  const program = new Command('pg-rotator')
    .description('Zero-downtime rotation of PostgreSQL passwords (connections, rotations, secrets).')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => rt.stdout(s),
      writeErr: (s) => rt.stderr(s),
      // With --json the error is reported once, as JSON, by runCli.
      outputError: (s, write) => {
        if (!json) write(s);
      },
    })
    .showHelpAfterError(false)
    .addHelpText(
      'after',
      `\nConfiguration comes from TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL and ROTATOR_ENCRYPTION_KEY;\n` +
        `if <data dir>/dev/rotator.env exists (written by \`npm run dev\`), it fills in the ones not set.\n\n${EXIT_CODES_HELP}\n`,
    );

  const leaf = (parent: Command, nameAndArgs: string, description: string) =>
    parent.command(nameAndArgs).description(description).option('--json', 'print JSON on stdout (errors as JSON on stderr)');

  // ------------------------------------------------------------------------------------------- connection
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
    .action(async (opts: ConnectionFlags & JsonOpt & { passwordStdin?: boolean; passwordEnv?: string }) => {
      if (opts.passwordStdin && opts.passwordEnv !== undefined) {
        throw new CliError('usage', 'give the password with --password-stdin or with --password-env, not both');
      }
      let password: string | undefined;
      if (opts.passwordStdin) password = passwordFromStdin(await rt.readStdin());
      else if (opts.passwordEnv !== undefined) {
        password = rt.env[opts.passwordEnv];
        if (password === undefined) throw new CliError('usage', `environment variable ${opts.passwordEnv} (--password-env) is not set`);
      } else {
        const rule = 'is required: pipe it with --password-stdin or name a variable with --password-env VAR (never an argument)';
        throw new CliError('usage', `credentials.password ${rule}`, [{ field: 'credentials.password', rule, message: `credentials.password ${rule}` }]);
      }
      if (password) rt.secrets.push(password);
      let ca: string | undefined;
      if (opts.sslCaFile !== undefined) {
        try {
          ca = await rt.readFile(opts.sslCaFile);
        } catch (err) {
          throw new CliError('usage', `cannot read --ssl-ca-file ${opts.sslCaFile}: ${(err as Error).message}`);
        }
      }
      const body = connectionBodyFromFlags(opts, password, ca);
      parseInput(createConnectionSchema, body); // fail fast, before connecting to anything
      const created = await addConnection(await session.context(), body, rt.actor);
      session.print(opts, created, () => formatConnection(created));
    });

  leaf(connection, 'list', 'list connections')
    .option('--project <uuid>', 'only this project')
    .action(async (opts: JsonOpt & { project?: string }) => {
      const { projectId } = parseInput(projectIdSchema, { projectId: opts.project });
      const list = await listAllConnections(await session.context(), projectId);
      session.print(opts, list, () => formatConnectionTable(list));
    });

  leaf(connection, 'remove <id>', 'remove a connection that no rotation uses')
    .action(async (id: string, opts: JsonOpt) => {
      await removeConnection(await session.context(), id, rt.actor);
      session.print(opts, { removed: true, id }, () => `removed connection ${id}\n`);
    });

  // --------------------------------------------------------------------------------------------- rotation
  const rotation = program.command('rotation').description('PostgreSQL credential rotations');

  addRotationBodyOptions(
    leaf(rotation, 'create', 'create a rotation: checks both roles, gives them fresh passwords and publishes the first')
      .option('--file <path|->', 'JSON body as in the API (the seed\'s sample request); - reads stdin'),
    'create',
  )
    .addHelpText(
      'after',
      '\nGive either --file or flags. Flags build the same JSON body; errors name the body field (e.g. rotateAtUtc).\n' +
        'Required: --name --project --connection --env --interval --username1 --username2 --username-secret --password-secret\n',
    )
    .action(async (opts: RotationFlags & JsonOpt & { file?: string }) => {
      let body: unknown;
      if (opts.file !== undefined) {
        if (hasBodyFlags(opts)) throw new CliError('usage', 'give either --file or body flags, not both');
        body = await readJsonBody(rt, opts.file);
      } else {
        session.flagHints = true;
        body = createBodyFromFlags(opts);
      }
      parseInput(createRotationSchema, body); // fail fast, before connecting to anything
      const view = await createRotation(await session.context(), body, rt.actor);
      session.print(opts, view, () => formatRotation(view));
    });

  leaf(rotation, 'list', 'list rotations')
    .option('--project <uuid>', 'only this project')
    .action(async (opts: JsonOpt & { project?: string }) => {
      const { projectId } = parseInput(projectIdSchema, { projectId: opts.project });
      const list = await listRotationViews(await session.context(), projectId);
      session.print(opts, list, () => formatRotationTable(list));
    });

  leaf(rotation, 'get <id>', 'show one rotation (live state from its workflow)').action(async (id: string, opts: JsonOpt) => {
    const view = await getRotationView(await session.context(), id);
    session.print(opts, view, () => formatRotation(view));
  });

  leaf(rotation, 'rotate <id>', 'rotate now and wait for the result (joins a rotation already running)')
    .option('--no-wait', 'return once the rotation is accepted; it runs in the background')
    .option('--force', 'rotate even if the credential it overwrites stopped being active less than minimumOverlapSeconds ago')
    .addHelpText(
      'after',
      '\nWith minimumOverlapSeconds set, a rotation that would overwrite a credential that stopped being active less than\n' +
        'that long ago (applications may still hold it) is refused with exit code 4, saying from when it is allowed.\n',
    )
    .action(async (id: string, opts: JsonOpt & { wait: boolean; force?: boolean }) => {
      const ctx = await session.context();
      const options = opts.force ? { force: true } : {};
      if (!opts.wait) {
        await requestRotation(ctx, id, options);
        session.print(opts, { requested: true, id }, () => `rotation requested for ${id}\n`);
        return;
      }
      const view = await rotateRotation(ctx, id, options);
      session.print(opts, view, () => formatRotation(view));
    });

  leaf(rotation, 'incident <id>', 'incident rotation: give BOTH roles new passwords now (every old pair stops working)')
    .option('--yes', 'confirm: holders of the old pairs lose access')
    .addHelpText(
      'after',
      '\nFor when both credentials are known to be compromised. The inactive role gets a new password and is published\n' +
        'first, then the other role gets one too; the mapped secrets always hold a pair that logs in. Refused without --yes.\n',
    )
    .action(async (id: string, opts: JsonOpt & { yes?: boolean }) => {
      const ctx = await session.context();
      if (!opts.yes) {
        const view = await getRotationView(ctx, id);
        throw new CliError('usage', `${incidentRotationWarning(view)} Run again with --yes to proceed.`);
      }
      const result = await incidentRotation(ctx, id, rt.actor);
      session.print(opts, result, () => `${printable(result.warning)}\n\n${formatRotation(result.secretRotation)}`);
    });

  leaf(rotation, 'check <id>', 'drift check: do both stored credentials log in, do the mapped secrets hold the active one?')
    .addHelpText(
      'after',
      '\nLogs in to the target as each role (with the connection\'s TLS settings); changes nothing, prints no password.\n' +
        'Exit code 0 when everything checks out, 7 when it found drift or a credential that does not log in.\n',
    )
    .action(async (id: string, opts: JsonOpt) => {
      const report = await checkRotation(await session.context(), id, rt.actor);
      session.print(opts, report, () => formatRotationCheck(report));
      if (report.drift || report.slots.some((s) => !s.loginOk)) session.exitCode = EXIT_CODES.drift;
    });

  for (const [name, enabled, what] of [
    ['pause', false, 'disable automatic rotation (manual rotation still works)'],
    ['resume', true, 'enable automatic rotation again'],
  ] as const) {
    leaf(rotation, `${name} <id>`, what).action(async (id: string, opts: JsonOpt) => {
      const view = await updateRotation(await session.context(), id, { isAutoRotationEnabled: enabled }, rt.actor);
      session.print(opts, view, () => formatRotation(view));
    });
  }

  addRotationBodyOptions(
    leaf(rotation, 'update <id>', 'change a rotation (only the fields given change)').option(
      '--file <path|->',
      'JSON patch as in the API (PATCH body); - reads stdin',
    ),
    'update',
  ).action(async (id: string, opts: RotationFlags & JsonOpt & { file?: string }) => {
    let patch: unknown;
    if (opts.file !== undefined) {
      if (hasBodyFlags(opts)) throw new CliError('usage', 'give either --file or flags, not both');
      patch = await readJsonBody(rt, opts.file);
      parseInput(updateRotationSchema, patch);
    } else {
      session.flagHints = true;
      if (updateNeedsCurrent(opts)) {
        const current = await getRotationView(await session.context(), id);
        patch = updatePatchFromFlags(opts, current);
      } else {
        patch = updatePatchFromFlags(opts);
        parseInput(updateRotationSchema, patch);
      }
    }
    const view = await updateRotation(await session.context(), id, patch, rt.actor);
    session.print(opts, view, () => formatRotation(view));
  });

  leaf(rotation, 'delete <id>', 'delete a rotation (its workflow ends)')
    .option('--delete-secrets', 'also delete the mapped secrets (default: keep them, with their last values)')
    .option('--revoke-generated-credentials', 'give both roles throwaway passwords, so the issued credentials stop working')
    .action(async (id: string, opts: JsonOpt & { deleteSecrets?: boolean; revokeGeneratedCredentials?: boolean }) => {
      const options = { deleteSecrets: opts.deleteSecrets ?? false, revokeGeneratedCredentials: opts.revokeGeneratedCredentials ?? false };
      const before: RotationView = await deleteRotation(await session.context(), id, options, rt.actor);
      session.print(opts, { deleted: true, ...options, secretRotation: before }, () =>
        [
          `deleted rotation ${before.name} (${before.id})`,
          options.deleteSecrets ? `deleted secrets ${before.secretsMapping.username}, ${before.secretsMapping.password}` : `kept secrets ${before.secretsMapping.username}, ${before.secretsMapping.password}`,
          options.revokeGeneratedCredentials ? `revoked the credentials of ${before.parameters.username1}, ${before.parameters.username2}` : 'the issued credentials still work',
        ].join('\n') + '\n',
      );
    });

  // ---------------------------------------------------------------------------------------------- secrets
  const secrets = program.command('secrets').description('read mapped secrets (every read is audited)');

  const secretScope = (cmd: Command) =>
    cmd
      .option('--project <uuid>', 'project id')
      .option('--env <slug>', 'environment slug')
      .option('--path <path>', 'folder path', '/');

  secretScope(leaf(secrets, 'list', 'list the secrets of a folder with their values')).action(
    async (opts: JsonOpt & { project?: string; env?: string; path?: string }) => {
      const list = await readFolderSecrets(await session.context(), { projectId: opts.project, environment: opts.env, secretPath: opts.path }, rt.actor);
      session.print(opts, list, () => formatSecretsTable(list));
    },
  );

  secretScope(leaf(secrets, 'get <key>', 'print the value of one secret (latest version unless --version)'))
    .option('--version <n>', 'a given version')
    .action(async (key: string, opts: JsonOpt & { project?: string; env?: string; path?: string; version?: string }) => {
      const query = { projectId: opts.project, environment: opts.env, secretPath: opts.path, key, version: opts.version };
      const [secret] = await readFolderSecrets(await session.context(), query, rt.actor);
      if (!secret) throw new CliError('not-found', `key must name an existing secret: ${key} not found`);
      session.print(opts, secret, () => `${secret.secretValue}\n`);
    });

  // ------------------------------------------------------------------------------------------------- audit
  const audit = program.command('audit').description('audit events: rotations, failures, config changes, credential and secret reads');

  leaf(audit, 'list', 'list audit events of a project, newest first')
    .option('--project <uuid>', 'project id')
    .option('--rotation <uuid>', 'only this rotation')
    .option('--limit <n>', 'at most this many (1–1000, default 100)')
    .action(async (opts: JsonOpt & { project?: string; rotation?: string; limit?: string }) => {
      const events = await listAuditEvents(await session.context(), compact({ projectId: opts.project, rotationId: opts.rotation, limit: opts.limit }));
      session.print(opts, events, () => formatAuditTable(events));
    });

  // ----------------------------------------------------------------------------------------------- project
  const project = program.command('project').description('projects and their environments');

  leaf(project, 'create', 'create a project (a new UUID) with the environments dev, staging and prod')
    .option('--name <name>', 'project name, unique (1–64 characters)')
    .action(async (opts: JsonOpt & { name?: string }) => {
      session.flagHints = true;
      const body = compact({ name: opts.name });
      parseInput(createProjectSchema, body); // fail fast, before connecting to anything
      const created = await createProject(await session.context(), body, rt.actor);
      session.print(opts, created, () => formatProject(created));
    });

  leaf(project, 'list', 'list projects with their environments').action(async (opts: JsonOpt) => {
    const list = await listAllProjects(await session.context());
    session.print(opts, list, () => formatProjectTable(list));
  });

  leaf(project, 'get <id>', 'show one project').action(async (id: string, opts: JsonOpt) => {
    const found = await requireProject((await session.context()).db.pool, id, 'projectId');
    session.print(opts, found, () => formatProject(found));
  });

  const environment = project.command('env').description('environments of a project');

  leaf(environment, 'add <projectId>', 'add an environment to a project')
    .option('--slug <slug>', 'environment slug: lowercase letters, digits, hyphens (unique in the project)')
    .option('--name <name>', 'display name')
    .action(async (projectId: string, opts: JsonOpt & { slug?: string; name?: string }) => {
      session.flagHints = true;
      const body = compact({ slug: opts.slug, name: opts.name });
      parseInput(createEnvironmentSchema, body);
      const env = await addEnvironment(await session.context(), projectId, body, rt.actor);
      session.print(opts, { projectId, ...env }, () => formatEnvironment(projectId, env));
    });

  // ------------------------------------------------------------------------------------------------- token
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
      session.flagHints = true;
      const body = tokenBodyFromFlags(opts);
      parseInput(createTokenSchema, body); // fail fast, before connecting to anything
      const created = await createToken(await session.context(), body, rt.actor);
      rt.secrets.push(created.token);
      session.print(opts, created, () => formatCreatedToken(created));
    });

  leaf(token, 'list', 'list tokens (never the tokens themselves), revoked ones too')
    .option('--project <uuid>', 'only this project')
    .action(async (opts: JsonOpt & { project?: string }) => {
      session.flagHints = true;
      const list = await listTokens(await session.context(), opts.project);
      session.print(opts, list, () => formatTokenTable(list));
    });

  leaf(token, 'revoke <id>', 'revoke a token: it stops working at once').action(async (id: string, opts: JsonOpt) => {
    const revoked = await revokeToken(await session.context(), id, rt.actor);
    session.print(opts, revoked, () => formatToken(revoked));
  });

  // --------------------------------------------------------------------------------------------------- run
  program
    .command('run')
    .description('run a command with the secrets of a folder as environment variables (the read is audited)')
    .argument('<command>', 'the program to run')
    .argument('[args...]', 'its arguments')
    .option('--project <uuid>', 'project id')
    .option('--env <slug>', 'environment slug')
    .option('--path <path>', 'folder path', '/')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExample:  pg-rotator run --project <uuid> --env dev --path / -- node app.js\n\n' +
        'Each secret becomes a variable of the same name (a key that is not a valid variable name is refused, and\n' +
        `nothing runs). The command does not inherit ${WITHHELD_VARIABLES.join(', ')} from this process.\n` +
        'Values are never printed. SIGINT, SIGTERM and SIGHUP are passed on; the exit code is the command\'s.\n',
    )
    .action(async (command: string, args: string[], opts: { project?: string; env?: string; path?: string }) => {
      const query = { projectId: opts.project, environment: opts.env, secretPath: opts.path };
      const secrets = await readFolderSecrets(await session.context(), query, rt.actor);
      for (const s of secrets) if (s.secretValue) rt.secrets.push(s.secretValue);
      const env = childEnvironment(rt.env, secrets);
      if (secrets.length === 0) rt.stderr(`${printable(`warning: no secrets in ${opts.env}:${opts.path ?? '/'}; running ${command} without any`)}\n`);
      await session.close(); // the child may run for long: do not hold database and Temporal connections
      session.exitCode = await runChild(command, args, env);
    });

  return program;
}

/** Runs one invocation and returns its exit code; prints results on stdout and errors on stderr. */
export async function runCli(argv: readonly string[], rt: CliRuntime): Promise<number> {
  const json = wantsJson(argv);
  const session = new Session(rt);
  try {
    await buildProgram(session, json).parseAsync([...argv], { from: 'user' });
    return session.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      // Commander already printed the message (and help) unless --json asked for a JSON error.
      if (!json || err.code === 'commander.help') return EXIT_CODES.usage;
    }
    const report = errorReport(err, rt.secrets);
    rt.stderr(json ? formatErrorJson(report) : formatErrorHuman(report, session.flagHints ? flagForField : undefined));
    return report.exitCode;
  } finally {
    await session.close().catch(() => {});
  }
}
