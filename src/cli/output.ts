/**
 * Pure output formatting of results (text tables, key: value lines, JSON). Nothing here prints.
 */
import type { AuditEventView } from '../domain/audit-schemas.js';
import type { RotationCheck, RotationView } from '../domain/rotation-view-schemas.js';
import { dueTimeOfDayMs } from '../domain/schedule.js';
import type { CreatedToken, TokenView } from '../service/tokens.js';
import type { TargetConnection } from '../store/connections.js';
import type { EnvironmentRecord, ProjectRecord } from '../store/projects.js';
import type { SecretValue } from '../store/secrets.js';

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

/** The window and, inside it, this rotation's own time of day (the time its automatic rotations come at). */
function formatWindow(v: RotationView): string {
  if (v.rotationWindowMinutes === 0) return 'none';
  const s = Math.floor(dueTimeOfDayMs({ rotationId: v.id, ...v }) / 1000);
  const own = `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)} UTC`;
  return `${v.rotationWindowMinutes} min after ${formatRotateAt(v.rotateAtUtc)}; this rotation at ${own}`;
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
    ['rotation window', formatWindow(v)],
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

export function formatAuditTable(events: readonly AuditEventView[]): string {
  return formatTable(
    ['AT', 'ACTION', 'ACTOR', 'ROTATION', 'DETAILS'],
    events.map((e) => [e.at, e.action, e.actor, e.rotationId ?? '-', JSON.stringify(e.details)]),
  );
}
