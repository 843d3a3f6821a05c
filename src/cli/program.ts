/**
 * The `pg-rotator` command tree. Every command goes through the service layer (shared with the REST API);
 * the command groups in commands/ only turn flags into request bodies and results into text or JSON.
 */
import { Command, CommanderError } from 'commander';
import { auditCommands } from './commands/audit.js';
import { connectionCommands } from './commands/connection.js';
import { keysCommands } from './commands/keys.js';
import { projectCommands } from './commands/project.js';
import { rotationCommands } from './commands/rotation.js';
import { runCommand } from './commands/run.js';
import { secretsCommands } from './commands/secrets.js';
import { tokenCommands } from './commands/token.js';
import { EXIT_CODES, EXIT_CODES_HELP, errorReport, formatErrorHuman, formatErrorJson } from './errors.js';
import type { CliRuntime } from './runtime.js';
import { Session } from './session.js';

/** `--json` anywhere before a `--` terminator (known before parsing, so usage errors can be JSON too). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
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
      `\nConfiguration comes from TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL and ROTATOR_ENCRYPTION_KEYS (or ROTATOR_ENCRYPTION_KEY);\n` +
        `if <data dir>/dev/rotator.env exists (written by \`npm run dev\`), it fills in the ones not set.\n` +
        `Only commands that act on a rotation's workflow connect to Temporal; the others need only the control database.\n\n` +
        `${EXIT_CODES_HELP}\n`,
    );
  for (const group of [connectionCommands, rotationCommands, secretsCommands, auditCommands, projectCommands, tokenCommands, keysCommands, runCommand]) {
    group(program, session);
  }
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
    const report = errorReport(err, rt.secrets, rt.env);
    rt.stderr(json ? formatErrorJson(report) : formatErrorHuman(report, session.flagFor));
    return report.exitCode;
  } finally {
    await session.close().catch(() => {});
  }
}
