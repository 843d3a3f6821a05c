import { CommanderError } from 'commander';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createRotationSchema, formatZodError, updateRotationSchema } from '../../src/domain/rotation-schemas.js';
import type { RotationView } from '../../src/domain/rotation-view-schemas.js';
import type { ServiceContext } from '../../src/service/context.js';
import { fieldError, ServiceError, type ServiceErrorKind } from '../../src/service/errors.js';
import { connectionBodyFromFlags, passwordFromStdin } from '../../src/cli/commands/connection.js';
import { CliError, errorReport, formatErrorHuman, formatErrorJson } from '../../src/cli/errors.js';
import { numberOrRaw } from '../../src/cli/flags.js';
import { formatRotation, formatRotationTable, formatTable, printable } from '../../src/cli/output.js';
import { dueTimeOfDayMs } from '../../src/domain/schedule.js';
import { runCli, wantsJson } from '../../src/cli/program.js';
import {
  checkRotationFlags,
  createBodyFromFlags,
  hasBodyFlags,
  parseRotateAt,
  readRotationFlags,
  type RotationFlags,
  rotationFlagFor as flagForField,
  updateNeedsCurrent,
  updatePatchFromFlags,
} from '../../src/cli/rotation-flags.js';
import { devEnvFile, loadDevEnv, type CliRuntime } from '../../src/cli/runtime.js';
import { SEED_SAMPLE_REQUEST } from '../support/seed-sample.js';

const PROJECT = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
const CONNECTION = '5a1d7d4e-4c1b-4f7a-9d7e-2f4b8f0e1a11';

/** The flags that reproduce Infisical's sample request. */
const seedFlags: RotationFlags = {
  name: 'my-pg-rotation',
  project: PROJECT,
  description: 'my database credentials rotation',
  connection: CONNECTION,
  env: 'dev',
  path: '/',
  auto: true,
  interval: '30',
  rotateAt: '0:0',
  username1: 'infisical_user_1',
  username2: 'infisical_user_2',
  usernameSecret: 'POSTGRES_DB_USERNAME',
  passwordSecret: 'POSTGRES_DB_PASSWORD',
};

/** Infisical's sample request, with the project and connection ids of seedFlags. */
const seedBody = { ...SEED_SAMPLE_REQUEST, projectId: PROJECT, connectionId: CONNECTION };

/** Field paths the schema reports for a body. */
function fieldsOf(schema: typeof createRotationSchema | typeof updateRotationSchema, body: unknown): string[] {
  const parsed = schema.safeParse(body);
  return parsed.success ? [] : formatZodError(parsed.error).details.map((d) => d.field);
}

const createBody = (flags: RotationFlags) => createBodyFromFlags(readRotationFlags(flags, 'create'));

/** Field paths of every problem `rotation create` reports for these flags (bad flag formats and schema rules). */
function flagProblems(flags: RotationFlags): string[] {
  const given = readRotationFlags(flags, 'create');
  try {
    checkRotationFlags(given, { schema: createRotationSchema, body: createBodyFromFlags(given) });
    return [];
  } catch (err) {
    return (err as CliError).details.map((d) => d.field);
  }
}

describe('flags → create body', () => {
  it('builds exactly Infisical sample request from the equivalent flags', () => {
    expect(createBody(seedFlags)).toEqual(seedBody);
    expect(createRotationSchema.safeParse(createBody(seedFlags)).success).toBe(true);
  });

  it('leaves out what was not given, so the schema fills in its defaults', () => {
    const body = createBody({ name: 'x' });
    expect(body).toEqual({ name: 'x', parameters: {}, secretsMapping: {} });
    expect(createBody({ auto: false }).isAutoRotationEnabled).toBe(false);
  });

  it.each([
    ['30', 30],
    [' 7 ', 7],
    ['1.5', 1.5],
    ['-1', -1],
    ['0', 0],
    ['1e3', 1000],
    ['abc', 'abc'],
    ['30d', '30d'],
    ['', ''],
  ])('numberOrRaw(%j) = %j', (raw, expected) => {
    expect(numberOrRaw(raw)).toEqual(expected);
  });

  it.each([
    ['00:00', { hours: 0, minutes: 0 }],
    ['7:05', { hours: 7, minutes: 5 }],
    [' 7 : 05 ', { hours: 7, minutes: 5 }],
    ['24:00', { hours: 24, minutes: 0 }], // the shape is right: the schema reports the range
    ['0:60', { hours: 0, minutes: 60 }],
  ])('parseRotateAt(%j) = %j', (raw, expected) => {
    expect(parseRotateAt(raw)).toEqual({ value: expected });
  });

  it.each(['3pm', 'noon', '15', '1:2:3', '-1:00', '1.5:00', '', '15h30'])('parseRotateAt(%j): not HH:MM', (raw) => {
    expect(parseRotateAt(raw)).toEqual({ rule: `must be HH:MM, a time of day in UTC (e.g. 03:30, or 15:00 for 3 pm): ${JSON.stringify(raw)} is not` });
  });

  // Every malformed flag is reported under the body field it sets (the schema is the one definition of the rules).
  it.each<[string, RotationFlags, string]>([
    ['non-integer interval', { interval: '1.5' }, 'rotationInterval'],
    ['non-numeric interval', { interval: 'monthly' }, 'rotationInterval'],
    ['zero interval', { interval: '0' }, 'rotationInterval'],
    ['malformed rotate-at', { rotateAt: 'noon' }, 'rotateAtUtc'],
    ['hour 24', { rotateAt: '24:00' }, 'rotateAtUtc.hours'],
    ['minute 60', { rotateAt: '0:60' }, 'rotateAtUtc.minutes'],
    ['fractional hour', { rotateAt: '1.5:00' }, 'rotateAtUtc'],
    ['uppercase name', { name: 'My-Rotation' }, 'name'],
    ['same usernames', { username2: 'infisical_user_1' }, 'parameters.username2'],
    ['password length 0', { passwordLength: '0' }, 'parameters.passwordRequirements.length'],
    ['password length text', { passwordLength: 'long' }, 'parameters.passwordRequirements.length'],
    ['required counts > length', { passwordLength: '3', passwordSymbols: '3' }, 'parameters.passwordRequirements.required'],
    ['bad statement', { rotationStatement: 'ALTER ROLE {{username}}' }, 'parameters.rotationStatement'],
    ['secret name with /', { passwordSecret: 'A/B' }, 'secretsMapping.password'],
    ['window over 24 h', { rotationWindow: '1441' }, 'rotationWindowMinutes'],
    ['non-numeric window', { rotationWindow: '1h' }, 'rotationWindowMinutes'],
  ])('%s → error on %s', (_label, override, field) => {
    const fields = flagProblems({ ...seedFlags, ...override });
    expect(fields[0]).toBe(field);
    expect(fields.every((f) => f.startsWith(field.split('.')[0]!))).toBe(true);
    expect(flagForField(field)).toBeDefined();
  });

  it('reports a malformed flag together with the other bad flags', () => {
    expect(flagProblems({ ...seedFlags, rotateAt: '3pm', interval: '0', name: 'Bad' })).toEqual(['rotateAtUtc', 'name', 'rotationInterval']);
  });

  it.each([
    ['rotateAtUtc.hours', '--rotate-at'],
    ['rotationInterval', '--interval'],
    ['rotationWindowMinutes', '--rotation-window'],
    ['parameters.passwordRequirements.required', '--password-digits/--password-lowercase/--password-uppercase/--password-symbols'],
    ['secretsMapping', '--username-secret/--password-secret'],
    ['isAutoRotationEnabled', '--auto/--no-auto'],
    ['force', '--force'],
    ['parameters.passwordRequirements.required.symbols', '--password-symbols'],
    ['secretsMapping.password', '--password-secret'],
    ['body', undefined],
  ])('flagForField(%j) = %j', (field, flag) => {
    expect(flagForField(field)).toBe(flag);
  });

  it('merges password requirement flags into one object', () => {
    const body = createBody({ ...seedFlags, passwordLength: '20', passwordSymbols: '2', allowedSymbols: '-_' });
    expect(body.parameters).toEqual({
      username1: 'infisical_user_1',
      username2: 'infisical_user_2',
      passwordRequirements: { length: 20, allowedSymbols: '-_', required: { symbols: 2 } },
    });
    expect(createRotationSchema.parse(body).parameters.passwordRequirements).toEqual({
      length: 20,
      required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 2 },
      allowedSymbols: '-_',
    });
  });

  it('tells body flags from none', () => {
    expect(hasBodyFlags({})).toBe(false);
    expect(hasBodyFlags({ auto: false })).toBe(true);
    expect(hasBodyFlags({ passwordDigits: '2' })).toBe(true);
  });
});

describe('flags → update patch', () => {
  const current = {
    parameters: {
      username1: 'u1',
      username2: 'u2',
      rotationStatementPassword: 'verifier' as const,
      passwordRequirements: { length: 40, required: { digits: 2, lowercase: 1, uppercase: 1, symbols: 0 }, allowedSymbols: '-_' },
    },
    secretsMapping: { username: 'USER', password: 'PASS' },
  };

  it.each<[string, RotationFlags, Record<string, unknown>, boolean]>([
    ['pause', { auto: false }, { isAutoRotationEnabled: false }, false],
    ['interval and time', { interval: '7', rotateAt: '03:30' }, { rotationInterval: 7, rotateAtUtc: { hours: 3, minutes: 30 } }, false],
    ['rotation window', { rotationWindow: '90' }, { rotationWindowMinutes: 90 }, false],
    ['rename', { name: 'new-name', description: 'd' }, { name: 'new-name', description: 'd' }, false],
    [
      'one secret name, the other kept',
      { passwordSecret: 'DB_PASS' },
      { secretsMapping: { username: 'USER', password: 'DB_PASS' } },
      true,
    ],
    [
      'one requirement, the rest kept',
      { passwordSymbols: '1' },
      {
        parameters: {
          username1: 'u1',
          username2: 'u2',
          rotationStatementPassword: 'verifier',
          passwordRequirements: { length: 40, required: { digits: 2, lowercase: 1, uppercase: 1, symbols: 1 }, allowedSymbols: '-_' },
        },
      },
      true,
    ],
  ])('%s', (_label, flags, expected, needsCurrent) => {
    const given = readRotationFlags(flags, 'update');
    expect(updateNeedsCurrent(given)).toBe(needsCurrent);
    const patch = updatePatchFromFlags(given, current);
    expect(patch).toEqual(expected);
    expect(updateRotationSchema.safeParse(patch).success).toBe(true);
  });

  it('an empty patch is rejected by the schema naming the body', () => {
    expect(updatePatchFromFlags(readRotationFlags({}, 'update'))).toEqual({});
    expect(fieldsOf(updateRotationSchema, {})).toEqual(['body']);
  });
});

describe('flags → connection body', () => {
  it('builds Infisical app-connection body; the password comes from elsewhere', () => {
    const body = connectionBodyFromFlags(
      { name: 'c', project: PROJECT, host: 'db', port: '5433', database: 'app', username: 'admin', ssl: true, sslRejectUnauthorized: false },
      'pw',
      'PEM',
    );
    expect(body).toEqual({
      name: 'c',
      projectId: PROJECT,
      method: 'username-and-password',
      credentials: { host: 'db', port: '5433', database: 'app', username: 'admin', password: 'pw', sslEnabled: true, sslRejectUnauthorized: false, sslCertificate: 'PEM' },
    });
    const defaults = connectionBodyFromFlags({ name: 'c' }, undefined).credentials as Record<string, unknown>;
    expect(defaults).toEqual({ sslEnabled: false, sslRejectUnauthorized: true });
  });

  it.each([
    ['secret\n', 'secret'],
    ['secret\r\n', 'secret'],
    ['secret', 'secret'],
    ['sec ret \n\n', 'sec ret \n'],
  ])('password from stdin %j → %j', (raw, expected) => {
    expect(passwordFromStdin(raw)).toBe(expected);
  });
});

describe('errors → exit codes', () => {
  const cases: [string, unknown, string, number][] = [
    ['validation', new ServiceError('validation', 'name must not be empty'), 'validation', 2],
    ['not found', new ServiceError('not-found', 'rotationId must name an existing rotation'), 'not-found', 3],
    ['conflict', new ServiceError('conflict', 'connection in use'), 'conflict', 4],
    ['failed', new ServiceError('failed', 'rotation failed: x'), 'failed', 5],
    ['unavailable', new ServiceError('unavailable', 'no Temporal'), 'unavailable', 6],
    ['cli usage', new CliError('usage', 'give either --file or flags'), 'usage', 2],
    ['cli config', new CliError('config', 'DATABASE_URL is not set'), 'config', 2],
    ['commander usage', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--password'"), 'usage', 2],
    ['socket refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'unavailable', 6],
    ['pg admin shutdown', Object.assign(new Error('terminating connection'), { code: '57P01' }), 'unavailable', 6],
    ['wrapped socket error', new Error('query failed', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) }), 'unavailable', 6],
    ['anything else', new TypeError('Cannot read properties of undefined'), 'unexpected', 1],
    ['a thrown string', 'boom', 'unexpected', 1],
  ];
  it.each(cases)('%s', (_label, err, kind, code) => {
    const r = errorReport(err);
    expect(r.kind).toBe(kind);
    expect(r.exitCode).toBe(code);
  });

  it('strips commander\'s "error:" prefix', () => {
    expect(errorReport(new CommanderError(1, 'x', "error: unknown command 'lst'")).message).toBe("unknown command 'lst'");
  });

  it('redacts unexpected messages: known secrets and password literals', () => {
    const r = errorReport(new Error("ALTER ROLE a PASSWORD 'hunter2-literal' failed for s3cr3t-value"), ['s3cr3t-value']);
    expect(r.message).not.toContain('hunter2-literal');
    expect(r.message).not.toContain('s3cr3t-value');
    expect(r.message).toContain('[REDACTED]');
    const failed = errorReport(new ServiceError('failed', 'login with s3cr3t-value failed'), ['s3cr3t-value']);
    expect(failed.message).not.toContain('s3cr3t-value');
  });
});

describe('output formatting', () => {
  const details = [
    { field: 'rotateAtUtc.hours', rule: 'must be an integer from 0 to 23', message: 'rotateAtUtc.hours must be an integer from 0 to 23' },
    { field: 'name', rule: 'is required', message: 'name is required' },
  ];
  const [first] = details;

  it.each<[string, Parameters<typeof formatErrorHuman>, string]>([
    ['plain', [{ kind: 'conflict', message: 'connection c is used', details: [], exitCode: 4 }], 'error: connection c is used\n'],
    ['one field', [{ kind: 'validation', message: first!.message, details: [first!], exitCode: 2 }], `error: ${first!.message}\n`],
    [
      'one field set by a flag',
      [{ kind: 'validation', message: first!.message, details: [first!], exitCode: 2 }, flagForField],
      `error: ${first!.message} (set by --rotate-at)\n`,
    ],
    [
      'several fields',
      [{ kind: 'validation', message: 'a; b', details, exitCode: 2 }, flagForField],
      `error: invalid input (2 problems)\n  - ${first!.message} (set by --rotate-at)\n  - name is required (set by --name)\n`,
    ],
  ])('human error: %s', (_label, args, expected) => {
    expect(formatErrorHuman(...args)).toBe(expected);
  });

  it('JSON error is { error, message, details }', () => {
    const text = formatErrorJson({ kind: 'validation', message: 'm', details, exitCode: 2 });
    expect(JSON.parse(text)).toEqual({ error: 'validation', message: 'm', details });
  });

  it('tables align columns, show - for empty cells and (none) for no rows', () => {
    expect(formatTable(['A', 'LONG'], [['xx', null], ['y', 'z']])).toBe('A   LONG\nxx  -\ny   z\n');
    expect(formatTable(['A'], [])).toBe('(none)\n');
  });

  it('escapes control characters from user-supplied names', () => {
    expect(printable('role\u001b[2Jx')).toBe('role\\u001b[2Jx');
    expect(formatTable(['N'], [['a\nb']])).toBe('N\na\\u000ab\n');
  });

  const view: RotationView = {
    id: 'r-1',
    name: 'my-pg-rotation',
    description: null,
    secretsMapping: { username: 'POSTGRES_DB_USERNAME', password: 'POSTGRES_DB_PASSWORD' },
    isAutoRotationEnabled: false,
    activeIndex: 1,
    folderId: 'f-1',
    connectionId: 'c-1',
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    rotationInterval: 1,
    rotationStatus: 'success',
    rotationInProgress: false,
    lastRotationAttemptedAt: null,
    lastRotatedAt: '2024-01-02T00:00:00.000Z',
    lastRotationJobId: null,
    nextRotationAt: null,
    connection: { app: 'postgres', name: 'conn', id: 'c-1' },
    environment: { slug: 'dev', name: 'Development', id: 'e-1' },
    projectId: PROJECT,
    folder: { id: 'f-1', path: '/app' },
    rotateAtUtc: { hours: 3, minutes: 5 },
    lastRotationMessage: null,
    type: 'postgres-credentials',
    parameters: { username1: 'u1', username2: 'u2', rotationStatementPassword: 'verifier' },
    minimumOverlapSeconds: 0,
    rotationWindowMinutes: 0,
  };

  it('shows a rotation as key: value lines', () => {
    const text = formatRotation(view);
    expect(text).toMatch(/^id: +r-1$/m);
    expect(text).toMatch(/^active index: +1 \(u2\)$/m);
    expect(text).toMatch(/^auto-rotation: +paused$/m);
    expect(text).toMatch(/^interval: +1 day at 03:05 UTC$/m);
    expect(text).toMatch(/^rotation window: +none$/m);
    expect(text).toMatch(/^next rotation at: +-$/m);
    expect(text).toMatch(/^secret path: +\/app$/m);
  });

  it('shows the rotation window and the rotation’s own time inside it', () => {
    const windowed = { ...view, id: '0f8fad5b-d9cb-469f-a165-70867728950e', rotationWindowMinutes: 60 };
    const m = /^rotation window: +60 min after 03:05 UTC; this rotation at (\d\d):(\d\d):(\d\d) UTC$/m.exec(formatRotation(windowed));
    expect(m).not.toBeNull();
    const [h, min, s] = m!.slice(1).map(Number) as [number, number, number];
    expect(((h * 60 + min) * 60 + s) * 1000).toBe(dueTimeOfDayMs({ rotationId: windowed.id, ...windowed }));
    expect(h * 60 + min).toBeGreaterThanOrEqual(3 * 60 + 5);
    expect(h * 60 + min).toBeLessThan(4 * 60 + 5);
  });

  it('lists rotations as a table', () => {
    const lines = formatRotationTable([view, { ...view, id: 'r-2', isAutoRotationEnabled: true, rotationInProgress: true, nextRotationAt: 'T' }]).split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +ENV +PATH +ACTIVE +STATUS +AUTO +NEXT ROTATION$/);
    expect(lines[1]).toMatch(/^r-1 +my-pg-rotation +dev +\/app +1 +success +paused +-$/);
    expect(lines[2]).toMatch(/^r-2 .* success\* +on +T$/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The whole CLI in-process, without a stack: parsing, early validation, exit codes, where output goes.

function fakeRuntime(opts: { stdin?: string; files?: Record<string, string>; env?: Record<string, string>; ctx?: ServiceContext | Error } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const openContext = vi.fn(async () => {
    if (opts.ctx instanceof Error) throw opts.ctx;
    if (!opts.ctx) throw new Error('test: the context must not be opened');
    return opts.ctx;
  });
  const rt: CliRuntime = {
    openContext,
    readStdin: async () => opts.stdin ?? '',
    readFile: async (f) => {
      const text = opts.files?.[f];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${f}'`), { code: 'ENOENT' });
      return text;
    },
    env: opts.env ?? {},
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    actor: 'cli:test',
    secrets: [],
  };
  return { rt, openContext, stdout: () => out.join(''), stderr: () => err.join('') };
}

/** A context whose control database has no rows at all, and that records whether it was closed. */
function emptyContext() {
  const close = vi.fn(async () => {});
  const ctx = { db: { pool: { query: async () => ({ rows: [], rowCount: 0 }) } }, temporal: {}, close } as unknown as ServiceContext;
  return { ctx, close };
}

describe('runCli without a stack', () => {
  it('--help lists the commands and the exit codes, exit 0', async () => {
    const f = fakeRuntime();
    expect(await runCli(['--help'], f.rt)).toBe(0);
    expect(f.stdout()).toMatch(/rotation/);
    expect(f.stdout()).toMatch(/Exit codes:[\s\S]*3 +not found[\s\S]*6 +unavailable/);
    expect(f.openContext).not.toHaveBeenCalled();
  });

  it('connection add --help says why the password is never an argument', async () => {
    const f = fakeRuntime();
    expect(await runCli(['connection', 'add', '--help'], f.rt)).toBe(0);
    expect(f.stdout()).toMatch(/--password-stdin/);
    expect(f.stdout()).toMatch(/never accepted as an argument[\s\S]*ps[\s\S]*history/);
  });

  it.each([
    [['rotation', 'lst'], /unknown command 'lst'/],
    [['rotation', 'get'], /missing required argument 'id'/],
    [['connection', 'add', '--password', 'hunter2'], /unknown option '--password'/],
    [['rotation', 'list', '--bogus'], /unknown option '--bogus'/],
  ])('usage error %j → exit 2 on stderr', async (argv, pattern) => {
    const f = fakeRuntime();
    expect(await runCli(argv, f.rt)).toBe(2);
    expect(f.stderr()).toMatch(pattern);
    expect(f.stdout()).toBe('');
  });

  it('a usage error with --json is one JSON object on stderr', async () => {
    const f = fakeRuntime();
    expect(await runCli(['rotation', 'get', 'x', '--bogus', '--json'], f.rt)).toBe(2);
    expect(JSON.parse(f.stderr())).toEqual({ error: 'usage', message: "unknown option '--bogus'", details: [] });
  });

  it('bad flags fail validation before anything is contacted, naming field and flag', async () => {
    const f = fakeRuntime();
    const argv = ['rotation', 'create', '--name', 'ok', '--project', PROJECT, '--connection', CONNECTION, '--env', 'dev'];
    argv.push('--username1', 'a', '--username2', 'b', '--username-secret', 'U', '--password-secret', 'P');
    expect(await runCli([...argv, '--interval', '1.5', '--rotate-at', '25:00'], f.rt)).toBe(2);
    expect(f.stderr()).toContain('rotationInterval must be an integer number of days');
    expect(f.stderr()).toContain('(set by --interval)');
    expect(f.stderr()).toContain('rotateAtUtc.hours must be an integer from 0 to 23');
    expect(f.openContext).not.toHaveBeenCalled();

    const j = fakeRuntime();
    expect(await runCli([...argv, '--interval', '30', '--rotate-at', 'noon', '--json'], j.rt)).toBe(2);
    const parsed = JSON.parse(j.stderr());
    expect(parsed.error).toBe('validation');
    expect(parsed.details.map((d: { field: string }) => d.field)).toEqual(['rotateAtUtc']);
    expect(parsed.message).toMatch(/^--rotate-at must be HH:MM, a time of day in UTC/);
    expect(j.stdout()).toBe('');
  });

  it.each([
    [['secrets', 'list', '--env', 'dev'], 'projectId is required (set by --project)'],
    [['secrets', 'get', 'KEY', '--project', PROJECT, '--env', 'dev', '--version', '0'], 'version must be a positive integer (set by --version)'],
    [['run', '--project', PROJECT, '--env', 'Dev', '--', 'true'], 'environment must contain only lowercase letters'],
    [['audit', 'list', '--project', PROJECT, '--limit', '5000'], 'limit must be 1–1000 (set by --limit)'],
    [['token', 'list', '--project', 'nope'], 'projectId must be a UUID (set by --project)'],
  ])('%j: the flags are parsed before anything is contacted → exit 2', async (argv, message) => {
    const f = fakeRuntime();
    expect(await runCli(argv, f.rt)).toBe(2);
    expect(f.stderr()).toContain(message);
    expect(f.openContext).not.toHaveBeenCalled();
  });

  it('a bad --rotation-window names the flag, the field and the rule; nothing is contacted', async () => {
    const argv = ['rotation', 'update', '3c90c3cc-0d44-4b50-8888-8dd25736052a'];
    for (const [value, rule] of [
      ['1441', 'rotationWindowMinutes must be at most 1440 minutes (24 hours)'],
      ['-5', 'rotationWindowMinutes must be an integer number of minutes from 0 to 1440 (24 hours)'],
      ['half', 'rotationWindowMinutes must be an integer number of minutes from 0 to 1440 (24 hours)'],
    ]) {
      const f = fakeRuntime();
      expect(await runCli([...argv, '--rotation-window', value!], f.rt)).toBe(2);
      expect(f.stderr()).toContain(rule);
      expect(f.stderr()).toContain('(set by --rotation-window)');
      expect(f.openContext).not.toHaveBeenCalled();
    }
  });

  it('--file: unreadable, not JSON, combined with flags, or invalid → exit 2', async () => {
    const missing = fakeRuntime();
    expect(await runCli(['rotation', 'create', '--file', 'nope.json'], missing.rt)).toBe(2);
    expect(missing.stderr()).toMatch(/cannot read --file nope\.json/);

    const notJson = fakeRuntime({ files: { 'b.json': '{ name: ' } });
    expect(await runCli(['rotation', 'create', '--file', 'b.json', '--json'], notJson.rt)).toBe(2);
    expect(JSON.parse(notJson.stderr()).details[0].field).toBe('body');

    const both = fakeRuntime({ files: { 'b.json': JSON.stringify(seedBody) } });
    expect(await runCli(['rotation', 'create', '--file', 'b.json', '--name', 'x'], both.rt)).toBe(2);
    expect(both.stderr()).toMatch(/either --file or/);

    const unknownField = fakeRuntime({ stdin: JSON.stringify({ ...seedBody, rotationIntervall: 3 }) });
    expect(await runCli(['rotation', 'create', '--file', '-'], unknownField.rt)).toBe(2);
    expect(unknownField.stderr()).toBe('error: rotationIntervall is not a known field\n');
    expect(unknownField.openContext).not.toHaveBeenCalled();
  });

  it('connection add: no password source, an unset variable, or both sources → exit 2', async () => {
    const base = ['connection', 'add', '--name', 'c', '--project', PROJECT, '--host', 'db', '--database', 'd', '--username', 'u'];
    const none = fakeRuntime();
    expect(await runCli(base, none.rt)).toBe(2);
    expect(none.stderr()).toMatch(/^error: credentials\.password is required/);
    const unset = fakeRuntime();
    expect(await runCli([...base, '--password-env', 'NOPE'], unset.rt)).toBe(2);
    expect(unset.stderr()).toMatch(/NOPE .* is not set/);
    const both = fakeRuntime({ env: { PW: 'x' } });
    expect(await runCli([...base, '--password-env', 'PW', '--password-stdin'], both.rt)).toBe(2);
    expect(none.openContext).not.toHaveBeenCalled();
  });

  it('connection add validates before connecting and never echoes the password', async () => {
    const f = fakeRuntime({ stdin: 'pa55-word-from-stdin\n' });
    const argv = ['connection', 'add', '--name', 'Bad Name', '--project', PROJECT, '--host', 'db', '--port', '70000', '--database', 'd', '--username', 'u'];
    expect(await runCli([...argv, '--password-stdin', '--json'], f.rt)).toBe(2);
    const err = JSON.parse(f.stderr());
    expect(err.details.map((d: { field: string }) => d.field).sort()).toEqual(['credentials.port', 'name']);
    expect(f.stderr()).not.toContain('pa55-word-from-stdin');
    expect(f.openContext).not.toHaveBeenCalled();
  });

  it('maps service errors to exit codes and always closes the context', async () => {
    const { ctx, close } = emptyContext();
    const f = fakeRuntime({ ctx });
    expect(await runCli(['rotation', 'get', PROJECT], f.rt)).toBe(3);
    expect(f.stderr()).toBe(`error: rotationId must name an existing rotation: ${PROJECT} not found\n`);
    expect(close).toHaveBeenCalledTimes(1);

    const list = fakeRuntime({ ctx: emptyContext().ctx });
    expect(await runCli(['rotation', 'list', '--json'], list.rt)).toBe(0);
    expect(JSON.parse(list.stdout())).toEqual([]);

    const human = fakeRuntime({ ctx: emptyContext().ctx });
    expect(await runCli(['connection', 'list'], human.rt)).toBe(0);
    expect(human.stdout()).toBe('(none)\n');

    const badProject = fakeRuntime();
    expect(await runCli(['rotation', 'list', '--project', 'nope'], badProject.rt)).toBe(2);
    expect(badProject.stderr()).toBe('error: projectId must be a UUID\n');
  });

  it('an unreachable stack → exit 6; a bad environment → exit 2', async () => {
    const down = fakeRuntime({ ctx: new CliError('unavailable', 'cannot reach Temporal at 127.0.0.1:1: deadline') });
    expect(await runCli(['rotation', 'list'], down.rt)).toBe(6);
    expect(down.stderr()).toMatch(/^error: cannot reach Temporal/);
    const config = fakeRuntime({ ctx: new CliError('config', 'DATABASE_URL is not set') });
    // Valid flags, so the command gets as far as the context (bad flags fail before it).
    expect(await runCli(['secrets', 'list', '--project', '00000000-0000-4000-8000-000000000000', '--env', 'dev', '--json'], config.rt)).toBe(2);
    expect(JSON.parse(config.stderr()).error).toBe('config');
  });

  it.each<[ServiceErrorKind, number]>([
    ['validation', 2],
    ['not-found', 3],
    ['conflict', 4],
    ['failed', 5],
    ['unavailable', 6],
  ])('service error kind %s → exit %i', async (kind, code) => {
    const f = fakeRuntime({ ctx: new ServiceError(kind, `a ${kind} error`) as unknown as Error });
    expect(await runCli(['rotation', 'get', PROJECT, '--json'], f.rt)).toBe(code);
    const hint = kind === 'unavailable' ? { hint: expect.stringMatching(/^is the stack running \(`npm run dev`/) } : {};
    expect(JSON.parse(f.stderr())).toEqual({ error: kind, message: `a ${kind} error`, details: [], ...hint });
  });

  it('wantsJson looks only before a -- terminator', () => {
    expect(wantsJson(['rotation', 'list', '--json'])).toBe(true);
    expect(wantsJson(['rotation', 'list'])).toBe(false);
    expect(wantsJson(['x', '--', '--json'])).toBe(false);
  });
});

describe('dev env file', () => {
  it('fills in variables from <dataDir>/dev/rotator.env without overriding those already set', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-env-'));
    vi.stubEnv('ROTATOR_DATA_DIR', dir);
    vi.stubEnv('PG_ROTATOR_TEST_PRESET', 'from-environment');
    try {
      expect(devEnvFile()).toBe(path.join(dir, 'dev', 'rotator.env'));
      expect(loadDevEnv()).toBeUndefined(); // no file: nothing happens
      await mkdir(path.join(dir, 'dev'));
      await writeFile(devEnvFile(), 'PG_ROTATOR_TEST_PRESET=from-file\nPG_ROTATOR_TEST_NEW=from-file\n');
      expect(loadDevEnv()).toBe(devEnvFile());
      expect(process.env.PG_ROTATOR_TEST_PRESET).toBe('from-environment');
      expect(process.env.PG_ROTATOR_TEST_NEW).toBe('from-file');
    } finally {
      vi.unstubAllEnvs();
      delete process.env.PG_ROTATOR_TEST_NEW;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Regressions (issue 7, 1.5): the CLI speaks in flags; "unavailable" is exit 6 and says where it looked.

const createArgv = ['rotation', 'create', '--name', 'ok', '--project', PROJECT, '--connection', CONNECTION, '--env', 'dev', '--interval', '30',
  '--username1', 'a', '--username2', 'b', '--username-secret', 'U', '--password-secret', 'P'];

describe('--rotate-at speaks in flags', () => {
  it.each([
    [[...createArgv, '--rotate-at', '3pm']],
    [['rotation', 'update', PROJECT, '--rotate-at', '3pm']],
  ])('%j → exit 2 naming --rotate-at and HH:MM (UTC), nothing contacted', async (argv) => {
    const f = fakeRuntime();
    expect(await runCli(argv, f.rt)).toBe(2);
    expect(f.stderr()).toBe('error: --rotate-at must be HH:MM, a time of day in UTC (e.g. 03:30, or 15:00 for 3 pm): "3pm" is not\n');
    expect(f.stderr()).not.toMatch(/must be an object/);
    expect(f.openContext).not.toHaveBeenCalled();
  });

  it('a rotate-at in range is accepted and reaches the service as { hours, minutes }', async () => {
    const update = vi.fn();
    const ctx = { db: { pool: { query: async () => { update(); return { rows: [], rowCount: 0 }; } } }, temporal: {}, close: async () => {} } as unknown as ServiceContext;
    const f = fakeRuntime({ ctx });
    // The empty control database answers "not found": the flags themselves were valid.
    expect(await runCli(['rotation', 'update', PROJECT, '--rotate-at', '15:00'], f.rt)).toBe(3);
    expect(update).toHaveBeenCalled();
  });
});

describe('unavailable: exit 6 with a hint at the stack, no password', () => {
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:7999', DATABASE_URL: 'postgres://rotator:s3cret-pw-in-url@db.internal:6543/rotator' };
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6543'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });

  it('the control database refuses: rotation list → 6, the hint names both addresses', async () => {
    const ctx = { db: { pool: { query: async () => Promise.reject(refused()) } }, temporal: {}, close: async () => {} } as unknown as ServiceContext;
    const f = fakeRuntime({ ctx, env });
    expect(await runCli(['rotation', 'list'], f.rt)).toBe(6);
    expect(f.stderr()).toBe(
      'error: connect ECONNREFUSED 10.0.0.1:6543\n' +
        "hint: is the stack running (`npm run dev`, or your worker's Temporal and control database)? TEMPORAL_ADDRESS=127.0.0.1:7999, DATABASE_URL host db.internal:6543\n",
    );
    expect(f.stderr()).not.toContain('s3cret-pw-in-url');
  });

  it('with --json the hint is a field of the error', async () => {
    const ctx = { db: { pool: { query: async () => Promise.reject(refused()) } }, temporal: {}, close: async () => {} } as unknown as ServiceContext;
    const f = fakeRuntime({ ctx, env: { DATABASE_URL: env.DATABASE_URL } });
    expect(await runCli(['secrets', 'list', '--project', PROJECT, '--env', 'dev', '--json'], f.rt)).toBe(6);
    const body = JSON.parse(f.stderr());
    expect(body).toMatchObject({ error: 'unavailable', message: 'connect ECONNREFUSED 10.0.0.1:6543' });
    expect(body.hint).toContain('TEMPORAL_ADDRESS=127.0.0.1:7233 (default)');
    expect(body.hint).toContain('DATABASE_URL host db.internal:6543');
    expect(f.stderr()).not.toContain('s3cret-pw-in-url');
  });

  it.each<[string, unknown]>([
    ['a refused socket', refused()],
    ['a refused socket under a cause', new Error('query failed', { cause: refused() })],
    ['gRPC UNAVAILABLE', Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 })],
    ['a service error', new ServiceError('unavailable', 'creating the rotation failed: 14 UNAVAILABLE')],
  ])('%s → unavailable with the hint', (_label, err) => {
    const r = errorReport(err, [], env);
    expect([r.kind, r.exitCode]).toEqual(['unavailable', 6]);
    expect(r.hint).toMatch(/npm run dev.*TEMPORAL_ADDRESS=127\.0\.0\.1:7999, DATABASE_URL host db\.internal:6543$/);
  });

  it('no hint on other errors', () => {
    expect(errorReport(new ServiceError('validation', 'x'), [], env).hint).toBeUndefined();
  });

  it("a connection's own server unreachable (a field is blamed) → exit 6, without the stack hint", () => {
    const r = errorReport(fieldError('unavailable', 'credentials', 'must reach the database server: db.example:1 could not be reached'), [], env);
    expect([r.kind, r.exitCode, r.hint]).toEqual(['unavailable', 6, undefined]);
  });

  it('a short password the process handled (e.g. "d" from --password-stdin) does not mangle the hint, which holds none', () => {
    const r = errorReport(refused(), ['d'], env);
    expect(r.hint).toMatch(/npm run dev.*TEMPORAL_ADDRESS=127\.0\.0\.1:7999, DATABASE_URL host db\.internal:6543$/);
  });
});
