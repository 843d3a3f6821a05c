/**
 * Pure output formatting and the exit-code contract of the CLI. Nothing here prints or exits.
 */
import { CommanderError } from 'commander';
import type { AuditRow } from '../store/audit.js';
import { redact } from '../domain/errors.js';
import type { RotationView } from '../domain/rotation-types.js';
import type { RotationCheck } from '../service/rotation-check.js';
import { type ErrorDetail, ServiceError, type ServiceErrorKind } from '../service/errors.js';
import type { CreatedToken, TokenView } from '../service/tokens.js';
import type { TargetConnection } from '../store/connections.js';
import type { EnvironmentRecord, ProjectRecord } from '../store/projects.js';
import type { SecretValue } from '../store/secrets.js';

// ---------------------------------------------------------------------------------------------------------
// Errors and exit codes

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
  2  usage, validation or configuration error (the message names the field and the rule)
  3  not found (project, environment, rotation, connection, secret or token)
  4  conflict (name or secret already taken, connection still in use, rotation refused by minimumOverlapSeconds)
  5  failed (creating, rotating, updating or deleting the rotation failed; the message says why)
  6  unavailable (Temporal or the control database cannot be reached)
  7  rotation check found drift or a credential that does not log in (the report says what repairs it)
  run exits with the exit code of the command it ran (128 + n when signal n ended it).`;

/** An error raised by the CLI itself (a missing password source, an unreadable --file, a bad environment). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export interface ErrorReport {
  kind: ErrorKind;
  message: string;
  details: ErrorDetail[];
  exitCode: number;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/** Unreachable or unavailable infrastructure: socket errors, PostgreSQL connection/shutdown classes, gRPC UNAVAILABLE. */
export function looksUnavailable(err: unknown): boolean {
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 8; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08') || code.startsWith('57P'))) return true;
    if (code === 14 /* gRPC UNAVAILABLE */ || code === 4 /* DEADLINE_EXCEEDED */) return true;
    if (/^(TransportError|ServiceError|ConnectionTimeoutError)$/.test(cur.name) && /unavailable|connect|deadline|timed? ?out/i.test(cur.message)) return true;
    if (/Connection terminated|connection timeout|timeout expired/i.test(cur.message)) return true;
  }
  return false;
}

/**
 * The user-facing form of any error: kind, message (redacted unless it is one of ours), details and exit code.
 * `secrets` are values the process handled (passwords, keys) that must never appear in the output.
 */
export function errorReport(err: unknown, secrets: readonly string[] = []): ErrorReport {
  const make = (kind: ErrorKind, message: string, details: ErrorDetail[] = []): ErrorReport => ({
    kind,
    message,
    details,
    exitCode: EXIT_CODES[kind],
  });
  if (err instanceof ServiceError) {
    // Service messages are meant for users; 'failed' and 'unavailable' carry server text, so redact those.
    const text = err.kind === 'failed' || err.kind === 'unavailable' ? redact(err.message, secrets) : err.message;
    return make(err.kind, text, err.details);
  }
  if (err instanceof CliError) return make(err.kind, err.kind === 'unavailable' ? redact(err.message, secrets) : err.message, err.details);
  if (err instanceof CommanderError) return make('usage', err.message.replace(/^error:\s*/i, ''));
  const message = redact(err instanceof Error ? err.message || err.name : String(err), secrets);
  if (looksUnavailable(err)) return make('unavailable', message);
  return make('unexpected', message);
}

/**
 * `error: <message>`; with several details, a summary line and one line per detail instead (the message joins
 * them all). A detail whose field was set by a flag also names the flag.
 */
export function formatErrorHuman(report: ErrorReport, flagFor?: (field: string) => string | undefined): string {
  const hinted = (d: ErrorDetail) => {
    const flag = flagFor?.(d.field);
    return flag ? `${d.message} (set by ${flag})` : d.message;
  };
  const [only] = report.details;
  if (report.details.length === 1 && only) return `error: ${only.message === report.message ? hinted(only) : report.message}\n`;
  if (report.details.length === 0) return `error: ${report.message}\n`;
  const what = report.kind === 'validation' || report.kind === 'usage' ? 'invalid input' : report.kind;
  return [`error: ${what} (${report.details.length} problems)`, ...report.details.map((d) => `  - ${hinted(d)}`)].join('\n') + '\n';
}

export function formatErrorJson(report: ErrorReport): string {
  return JSON.stringify({ error: report.kind, message: report.message, details: report.details }, null, 2) + '\n';
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------------------
// Human-readable output (never a secret value, except in the secrets commands)

const dash = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : String(v));
const pad2 = (n: number) => String(n).padStart(2, '0');

/** `key: value` lines with the values aligned. */
export function keyValues(pairs: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}${dash(v)}`).join('\n') + '\n';
}

/** A compact table; `(none)` when there are no rows. Control characters are shown escaped, never raw. */
export function formatTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((r) => r.map((c) => printable(dash(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Names come from users: a terminal escape in a role name must not rewrite the screen. */
export function printable(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatRotateAt(at: { hours: number; minutes: number }): string {
  return `${pad2(at.hours)}:${pad2(at.minutes)} UTC`;
}

function activeRole(v: RotationView): string {
  if (v.activeIndex === null) return '- (not issued yet)';
  const role = v.activeIndex === 0 ? v.parameters.username1 : v.parameters.username2;
  return `${v.activeIndex} (${role})`;
}

export function formatRotation(v: RotationView): string {
  const p = v.parameters;
  const pairs: [string, unknown][] = [
    ['id', v.id],
    ['name', v.name],
    ['description', v.description],
    ['project', v.projectId],
    ['environment', v.environment.slug],
    ['secret path', v.folder.path],
    ['connection', `${v.connection.name} (${v.connection.id})`],
    ['usernames', `${p.username1}, ${p.username2}`],
    ['active index', activeRole(v)],
    ['secrets', `${v.secretsMapping.username} (username), ${v.secretsMapping.password} (password)`],
    ['auto-rotation', v.isAutoRotationEnabled ? 'enabled' : 'paused'],
    ['interval', `${v.rotationInterval} day${v.rotationInterval === 1 ? '' : 's'} at ${formatRotateAt(v.rotateAtUtc)}`],
    ['status', v.rotationInProgress ? `${v.rotationStatus} (rotation in progress)` : v.rotationStatus],
    ['last rotated at', v.lastRotatedAt],
    ['last attempt at', v.lastRotationAttemptedAt],
    ['next rotation at', v.nextRotationAt],
    ['minimum overlap', v.minimumOverlapSeconds > 0 ? `${v.minimumOverlapSeconds} s (manual rotations wait for it unless forced)` : 'none'],
    ['last message', v.lastRotationMessage],
  ];
  if (p.rotationStatement) pairs.push(['rotation statement', p.rotationStatement]);
  if (p.passwordRequirements) pairs.push(['password length', p.passwordRequirements.length]);
  return keyValues(pairs.map(([k, val]) => [k, typeof val === 'string' ? printable(val) : val] as const));
}

export function formatRotationTable(views: readonly RotationView[]): string {
  return formatTable(
    ['ID', 'NAME', 'ENV', 'PATH', 'ACTIVE', 'STATUS', 'AUTO', 'NEXT ROTATION'],
    views.map((v) => [
      v.id,
      v.name,
      v.environment.slug,
      v.folder.path,
      v.activeIndex,
      v.rotationInProgress ? `${v.rotationStatus}*` : v.rotationStatus,
      v.isAutoRotationEnabled ? 'on' : 'paused',
      v.nextRotationAt,
    ]),
  );
}

export function formatRotationCheck(r: RotationCheck): string {
  const pairs: [string, unknown][] = [
    ['rotation', r.rotationId],
    ['checked at', r.checkedAt],
    ['active index', r.activeIndex],
  ];
  for (const s of r.slots) {
    pairs.push([`slot ${s.slot} (${printable(s.username)})`, s.loginOk ? 'logs in' : `does not log in: ${printable(s.error ?? 'unknown error')}`]);
  }
  pairs.push(['mapped secrets', r.mappedSecretsMatchActive ? 'hold the active pair' : 'do NOT hold the active pair']);
  pairs.push(['drift', r.drift ? 'yes' : 'no']);
  return `${keyValues(pairs)}\n${printable(r.advice)}\n`;
}

export function formatConnection(c: TargetConnection): string {
  return keyValues(
    (
      [
        ['id', c.id],
        ['name', c.name],
        ['description', c.description],
        ['project', c.projectId],
        ['server', `${c.host}:${c.port}/${c.database}`],
        ['username', c.username],
        ['ssl', c.sslEnabled ? `on${c.sslRejectUnauthorized ? '' : ' (certificate not verified)'}${c.sslCertificate ? ', custom CA' : ''}` : 'off'],
        ['created at', c.createdAt],
      ] as const
    ).map(([k, v]) => [k, typeof v === 'string' ? printable(v) : v] as const),
  );
}

export function formatConnectionTable(cs: readonly TargetConnection[]): string {
  return formatTable(
    ['ID', 'NAME', 'PROJECT', 'SERVER', 'USERNAME', 'SSL'],
    cs.map((c) => [c.id, c.name, c.projectId, `${c.host}:${c.port}/${c.database}`, c.username, c.sslEnabled ? 'on' : 'off']),
  );
}

/** The secrets commands exist to show values; values are printed escaped so a stray escape cannot hide one. */
export function formatSecretsTable(ss: readonly SecretValue[]): string {
  return formatTable(
    ['KEY', 'VERSION', 'UPDATED AT', 'VALUE'],
    ss.map((s) => [s.secretKey, s.version, s.updatedAt, s.secretValue]),
  );
}

export function formatProject(p: ProjectRecord): string {
  return keyValues([
    ['id', p.id],
    ['name', printable(p.name)],
    ['environments', p.environments.map((e) => `${e.slug} (${printable(e.name)})`).join(', ')],
    ['created at', p.createdAt],
  ]);
}

export function formatProjectTable(ps: readonly ProjectRecord[]): string {
  return formatTable(
    ['ID', 'NAME', 'ENVIRONMENTS'],
    ps.map((p) => [p.id, p.name, p.environments.map((e) => e.slug).join(', ')]),
  );
}

export function formatEnvironment(projectId: string, e: EnvironmentRecord): string {
  return keyValues([
    ['project', projectId],
    ['id', e.id],
    ['slug', e.slug],
    ['name', printable(e.name)],
  ]);
}

/** The one time a token is shown. */
export function formatCreatedToken(t: CreatedToken): string {
  return (
    keyValues([
      ['token', t.token],
      ['id', t.id],
      ['name', printable(t.name)],
      ['project', t.projectId],
      ['actions', t.actions.join(', ')],
      ['created at', t.createdAt],
    ]) + '\nStore the token now: it cannot be shown again (only its hash is kept). Send it as `Authorization: Bearer <token>`.\n'
  );
}

export function formatToken(t: TokenView): string {
  return keyValues([
    ['id', t.id],
    ['name', printable(t.name)],
    ['project', t.projectId ?? '(all projects)'],
    ['actions', t.actions.join(', ')],
    ['created at', t.createdAt],
    ['last used at', t.lastUsedAt],
    ['revoked at', t.revokedAt],
  ]);
}

export function formatTokenTable(ts: readonly TokenView[]): string {
  return formatTable(
    ['ID', 'NAME', 'PROJECT', 'ACTIONS', 'LAST USED', 'STATUS'],
    ts.map((t) => [t.id, t.name, t.projectId ?? '(all)', t.actions.join(','), t.lastUsedAt, t.revokedAt ? `revoked ${t.revokedAt}` : 'active']),
  );
}

export function formatAuditTable(events: readonly AuditRow[]): string {
  return formatTable(
    ['AT', 'ACTION', 'ACTOR', 'ROTATION', 'DETAILS'],
    events.map((e) => [e.at, e.action, e.actor, e.rotationId ?? '-', JSON.stringify(e.details)]),
  );
}
