/**
 * The CLI's error contract, in one place: error kinds, exit codes, how any thrown value becomes a report
 * (kind, message, details, hint), and how a report is printed. Nothing here prints or exits.
 */
import { CommanderError } from 'commander';
import { redact } from '../domain/errors.js';
import { isUnavailable } from '../domain/failures.js';
import { type ErrorDetail, ServiceError, type ServiceErrorKind, UserError } from '../service/errors.js';
import { MissingRootKeyError } from '../store/secret-box.js';

/** Service error kinds, plus what only the CLI knows: bad usage, bad configuration, and the unexpected. */
export type ErrorKind = ServiceErrorKind | 'usage' | 'config' | 'unexpected';

export const EXIT_CODES: Readonly<Record<ErrorKind, number>> & { drift: number } = {
  unexpected: 1,
  usage: 2,
  config: 2,
  validation: 2,
  'not-found': 3,
  conflict: 4,
  failed: 5,
  unavailable: 6,
  /** Not an error: `rotation check` ran and found drift or a credential that does not log in. */
  drift: 7,
};

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  unexpected error (message redacted)
  2  usage, validation or configuration error (the message names the flag or field and the rule)
  3  not found (project, environment, rotation, connection, secret or token; run: a folder without secrets)
  4  conflict (name or secret already taken, connection still in use, rotation refused by minimumOverlapSeconds)
  5  failed (creating, rotating, updating or deleting the rotation failed; keys re-encrypt left secrets under older keys; the message says why)
  6  unavailable (Temporal, the control database or a connection's database server cannot be reached)
  7  rotation check found drift or a credential that does not log in (the report says what repairs it)
  run exits with the exit code of the command it ran (128 + n when signal n ended it).`;

/** An error raised by the CLI itself (a missing password source, an unreadable --file, a bad environment). */
export class CliError extends UserError<ErrorKind> {
  override readonly name = 'CliError';
}

export interface ErrorReport {
  kind: ErrorKind;
  message: string;
  details: ErrorDetail[];
  exitCode: number;
  /** What the user can check; set for 'unavailable' of the stack (where it is expected to be). */
  hint?: string;
  /** The SQL or step that fixes a configuration problem (the message ends with it too). */
  fix?: string;
}

/** `host:port` of a database URL: never the user name or password. */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return '(not a URL)';
  }
}

/**
 * Where the CLI looked for the stack, so that "unavailable" says what to check. The control database is named
 * by host and port only: its URL holds a password.
 */
export function stackHint(env: NodeJS.ProcessEnv): string {
  const temporal = `TEMPORAL_ADDRESS=${env.TEMPORAL_ADDRESS || '127.0.0.1:7233 (default)'}`;
  const db = env.DATABASE_URL ? `DATABASE_URL host ${hostOf(env.DATABASE_URL)}` : 'DATABASE_URL not set';
  return `is the stack running (\`npm run dev\`, or your worker's Temporal and control database)? ${temporal}, ${db}`;
}

/**
 * The user-facing form of any error: kind, message (redacted unless it is one of ours), details and exit code.
 * `secrets` are values the process handled (passwords, keys) that must never appear in the output; `env` is
 * where the stack was looked for (for the hint on 'unavailable').
 */
export function errorReport(err: unknown, secrets: readonly string[] = [], env: NodeJS.ProcessEnv = {}): ErrorReport {
  const make = (kind: ErrorKind, message: string, details: ErrorDetail[] = []): ErrorReport => ({
    kind,
    message,
    details,
    exitCode: EXIT_CODES[kind],
    // Built from host names and ports only (never a URL's user or password), so value-redaction would only mangle it.
    // An unavailable field (a connection's database server) is the user's server, not the stack: no hint.
    ...(kind === 'unavailable' && details.length === 0 ? { hint: redact(stackHint(env)) } : {}),
  });
  if (err instanceof ServiceError || err instanceof CliError) {
    // Our messages are meant for users; 'failed' and 'unavailable' carry server text, so redact those.
    const shown = (text: string) => (err.kind === 'failed' || err.kind === 'unavailable' ? redact(text, secrets) : text);
    const fix = err instanceof ServiceError && err.fix ? { fix: shown(err.fix) } : {};
    return { ...make(err.kind, shown(err.message), err.details), ...fix };
  }
  if (err instanceof CommanderError) return make('usage', err.message.replace(/^error:\s*/i, ''));
  // A ring without a key some secret is sealed under: the CLI's configuration (its message names only the key id).
  if (err instanceof MissingRootKeyError) return make('config', err.message);
  const message = redact(err instanceof Error ? err.message || err.name : String(err), secrets);
  if (isUnavailable(err)) return make('unavailable', message);
  return make('unexpected', message);
}

/** Which flag sets a body field (`rotateAtUtc.hours` → `--rotate-at`); undefined when no flag does. */
export type FlagForField = (field: string) => string | undefined;

/**
 * `error: <message>`; with several details, a summary line and one line per detail instead (the message joins
 * them all). A detail whose field was set by a flag also names the flag. A hint follows on its own line.
 */
export function formatErrorHuman(report: ErrorReport, flagFor?: FlagForField): string {
  const hinted = (d: ErrorDetail) => {
    const flag = flagFor?.(d.field);
    return flag && !d.message.startsWith(flag) ? `${d.message} (set by ${flag})` : d.message;
  };
  const hint = report.hint ? `hint: ${report.hint}\n` : '';
  const [only] = report.details;
  if (report.details.length === 1 && only) return `error: ${only.message === report.message ? hinted(only) : report.message}\n${hint}`;
  if (report.details.length === 0) return `error: ${report.message}\n${hint}`;
  const what = report.kind === 'validation' || report.kind === 'usage' ? 'invalid input' : report.kind;
  return [`error: ${what} (${report.details.length} problems)`, ...report.details.map((d) => `  - ${hinted(d)}`)].join('\n') + `\n${hint}`;
}

/** `{ error, message, details }`, plus `hint` and `fix` when there are. */
export function formatErrorJson(report: ErrorReport): string {
  const { kind, message, details, hint, fix } = report;
  return JSON.stringify({ error: kind, message, details, ...(hint ? { hint } : {}), ...(fix ? { fix } : {}) }, null, 2) + '\n';
}
