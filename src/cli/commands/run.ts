/**
 * `pg-rotator run`: a child process with the mapped secrets in its environment. The values go from the
 * control database into the child's environment and nowhere else (never stdout, stderr or arguments).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import type { Command } from 'commander';
import { folderLabel } from '../../domain/folder.js';
import { secretQuerySchema } from '../../domain/secret-schemas.js';
import { parseInput } from '../../service/errors.js';
import { readFolderSecrets } from '../../service/secrets.js';
import { CliError } from '../errors.js';
import { printable } from '../output.js';
import { secretScopeFlagFor } from './secrets.js';
import type { Session } from '../session.js';

/** POSIX-portable environment variable names. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isEnvName(key: string): boolean {
  return ENV_NAME.test(key);
}

/**
 * The rotator's own secrets (control database URL, root key, admin token): the child does not inherit them.
 * A mapped secret of the same name is still set.
 */
export const WITHHELD_VARIABLES: readonly string[] = ['DATABASE_URL', 'ROTATOR_ENCRYPTION_KEYS', 'ROTATOR_ENCRYPTION_KEY', 'ROTATOR_ADMIN_TOKEN'];

/** The child's environment: the CLI's, minus the rotator's secrets, plus the secrets (which win). */
export function childEnvironment(base: NodeJS.ProcessEnv, secrets: readonly { secretKey: string; secretValue: string }[]): NodeJS.ProcessEnv {
  const bad = secrets.map((s) => s.secretKey).filter((k) => !isEnvName(k));
  if (bad.length > 0) {
    const names = bad.map((k) => JSON.stringify(k)).join(', ');
    const rule = `must be valid environment variable names (letters, digits and "_", not starting with a digit): ${names} ${bad.length === 1 ? 'is' : 'are'} not; nothing was run`;
    throw new CliError('validation', `secret keys ${rule}`, [{ field: 'secretKey', rule, message: `secret keys ${rule}` }]);
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !WITHHELD_VARIABLES.includes(k)) env[k] = v;
  for (const s of secrets) env[s.secretKey] = s.secretValue;
  return env;
}

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs the command with inherited stdio and resolves with its exit code: the child's code, or 128 + n when a
 * signal n ended it (as a shell reports it). SIGINT, SIGTERM and SIGHUP sent to the CLI are passed on to the
 * child, and the CLI waits for it to end. A command that cannot be started is a usage error (exit 2).
 */
export function runChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of FORWARDED_SIGNALS) process.on(s, forward);
    const cleanup = () => {
      for (const s of FORWARDED_SIGNALS) process.off(s, forward);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      const why = err.code === 'ENOENT' ? 'not found (is it on PATH?)' : err.code === 'EACCES' ? 'not executable' : err.message;
      reject(new CliError('usage', `cannot run ${JSON.stringify(command)}: ${why}`));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      if (code !== null) resolve(code);
      else resolve(128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

interface RunFlags {
  project?: string;
  env?: string;
  path?: string;
  allowEmpty?: boolean;
}

export function runCommand(program: Command, session: Session): void {
  const rt = session.rt;
  program
    .command('run')
    .description('run a command with the secrets of a folder as environment variables (the read is audited)')
    .argument('<command>', 'the program to run')
    .argument('[args...]', 'its arguments')
    .option('--project <uuid>', 'project id')
    .option('--env <slug>', 'environment slug')
    .option('--path <path>', 'folder path', '/')
    .option('--allow-empty', 'run the command even when the folder has no secrets')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExample:  pg-rotator run --project <uuid> --env dev --path / -- node app.js\n\n' +
        'Each secret becomes a variable of the same name (a key that is not a valid variable name is refused, and\n' +
        `nothing runs). The command does not inherit ${WITHHELD_VARIABLES.join(', ')} from this process.\n` +
        'A folder without secrets is refused with exit code 3 and nothing runs (a mistyped --project, --env or --path\n' +
        'would otherwise start the program without its credentials), unless --allow-empty is given.\n' +
        "Values are never printed. SIGINT, SIGTERM and SIGHUP are passed on; the exit code is the command's.\n",
    )
    .action(async (command: string, args: string[], opts: RunFlags) => {
      session.flagFor = secretScopeFlagFor;
      const query = parseInput(secretQuerySchema, { projectId: opts.project, environment: opts.env, secretPath: opts.path }); // before connecting to anything
      const secrets = await readFolderSecrets(await session.context(), query, rt.actor);
      for (const s of secrets) if (s.secretValue) rt.secrets.push(s.secretValue);
      if (secrets.length === 0 && !opts.allowEmpty) {
        const where = `${folderLabel(query.environment, query.secretPath)} of project ${query.projectId}`;
        const message = `no secrets in ${where}: ${command} was not run (check --project, --env and --path; --allow-empty runs it without secrets)`;
        throw new CliError('not-found', printable(message));
      }
      const env = childEnvironment(rt.env, secrets);
      await session.close(); // the child may run for long: do not hold database and Temporal connections
      session.exitCode = await runChild(command, args, env);
    });
}
