// Property-based robustness of the CLI's argument handling (fast-check, thousands of cases): argv arrays made
// of the CLI's own commands and flags (discovered from its --help output, so new commands are fuzzed too),
// random flags, unicode, huge and missing values, `--flag=value` forms and `--` terminators, run in process
// through runCli with a fake runtime. The runtime has no stack: opening the service context fails as
// "unavailable", so every invocation ends in the parser, in the early validation, or at the context.
//
// For every argv: runCli never throws; the exit code is 0 (help), 2 (usage/validation/configuration) or 6
// (valid input that needed the stack) — never 1 (unexpected); 6 exactly when the context was asked for;
// stderr never holds a stack trace; every error is `error: …` (or a group's usage text when its subcommand is
// missing), and with --json one JSON object { error, message, details };
// an "unavailable" error hints at the stack; nothing is printed on stdout for a failure; a password given on stdin or in the environment is never echoed.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, wantsJson } from '../../src/cli/program.js';
import { CliError } from '../../src/cli/errors.js';
import type { CliRuntime } from '../../src/cli/runtime.js';

const PROJECT = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
const CONNECTION = '5a1d7d4e-4c1b-4f7a-9d7e-2f4b8f0e1a11';
/** A password handed over on stdin and in $PW: it must never be printed. */
const PASSWORD = `fuzz-Secret-${randomUUID()}`;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  contextOpened: boolean;
}

async function run(argv: string[], stdin = `${PASSWORD}\n`): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  let contextOpened = false;
  const rt: CliRuntime = {
    async openContext() {
      contextOpened = true;
      throw new CliError('unavailable', 'test: no stack (cannot reach Temporal)');
    },
    readStdin: async () => stdin,
    readFile: async (file) => {
      if (file === 'body.json') return stdin;
      if (file === 'ca.pem') return '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: 'ENOENT' });
    },
    env: { PW: PASSWORD, EMPTY: '' },
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    actor: 'cli:fuzz',
    secrets: [],
  };
  const code = await runCli(argv, rt);
  return { code, stdout: out.join(''), stderr: err.join(''), contextOpened };
}

/** A stack frame (`    at fn (file:1:2)`), or a source path: what a leaked stack trace looks like. */
const STACK = /^\s*at\s+\S.*(?::\d+:\d+\)?|\(native\)|<anonymous>\)?)\s*$|node_modules\/|\/src\/\w+\/\w+\.ts/m;

const stats = { runs: 0, byCode: new Map<number, number>() };

function check(argv: string[], o: Outcome): void {
  stats.runs += 1;
  stats.byCode.set(o.code, (stats.byCode.get(o.code) ?? 0) + 1);
  const where = `argv ${JSON.stringify(argv).slice(0, 600)} → ${o.code}\nstderr: ${o.stderr.slice(0, 600)}`;
  expect([0, 2, 6], where).toContain(o.code);
  expect(o.code === 6, where).toBe(o.contextOpened);
  expect(STACK.test(o.stderr), where).toBe(false);
  expect(STACK.test(o.stdout), where).toBe(false);
  expect(o.stdout.includes(PASSWORD) || o.stderr.includes(PASSWORD), where).toBe(false);
  if (o.code === 0) return;
  if (o.stderr === '') {
    // `help [command]` prints help and exits with the usage code.
    expect(o.stdout, where).toMatch(/^Usage: /);
    return;
  }
  expect(o.stdout, where).toBe('');
  // A command group without its subcommand (or no command at all): commander shows the group's help on stderr.
  if (o.stderr.startsWith('Usage: pg-rotator')) return;
  if (wantsJson(argv)) {
    let body: { error?: unknown; message?: unknown; details?: unknown; hint?: unknown };
    try {
      body = JSON.parse(o.stderr) as typeof body;
    } catch {
      throw new Error(`--json error is not one JSON object: ${where}`);
    }
    // "unavailable" (and only it) says where the stack was looked for.
    const unavailable = body.error === 'unavailable';
    expect(Object.keys(body).sort(), where).toEqual(unavailable ? ['details', 'error', 'hint', 'message'] : ['details', 'error', 'message']);
    expect([typeof body.error, typeof body.message, Array.isArray(body.details)], where).toEqual(['string', 'string', true]);
    if (unavailable) expect(body.hint, where).toMatch(/npm run dev/);
    expect(body.error, where).not.toBe('unexpected');
  } else {
    expect(o.stderr, where).toMatch(/^error: /);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The command tree, read from the CLI's own help

interface Leaf {
  path: string[];
  /** Positional arguments in the usage line (`<id>`, `[args...]`). */
  args: string[];
  /** Long options; `value` when it takes one. */
  options: { flag: string; value: boolean }[];
}

async function help(path: string[]): Promise<string> {
  const o = await run([...path, '--help']);
  expect(o.code, path.join(' ')).toBe(0);
  return o.stdout;
}

/** Lines of one section (`Commands:`, `Options:`) of a help text: the entries, without wrapped descriptions. */
function section(text: string, title: string): string[] {
  const start = text.indexOf(`\n${title}\n`);
  if (start === -1) return [];
  const lines = text.slice(start + title.length + 2).split('\n');
  const end = lines.findIndex((l) => !l.startsWith(' '));
  return lines.slice(0, end === -1 ? undefined : end).filter((l) => /^ {2}\S/.test(l));
}

async function discover(path: string[] = []): Promise<Leaf[]> {
  const text = await help(path);
  const commands = section(text, 'Commands:')
    .map((l) => l.trim().split(/\s{2,}/)[0]!)
    .filter((usage) => !usage.startsWith('help '));
  if (commands.length > 0) {
    const leaves: Leaf[] = [];
    for (const usage of commands) leaves.push(...(await discover([...path, usage.split(' ')[0]!])));
    return leaves;
  }
  const usageLine = /^Usage: pg-rotator (.*)$/m.exec(text)?.[1] ?? '';
  const args = usageLine.split(' ').filter((t) => /^[<[].*[>\]]$/.test(t) && t !== '[options]');
  const options = section(text, 'Options:')
    .map((l) => /^ {2}(?:-\w, )?(--[\w-]+)( <[^>]+>| \[[^\]]+\])?/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[1] !== '--help')
    .map((m) => ({ flag: m[1]!, value: m[2] !== undefined }));
  return [{ path, args, options }];
}

let leaves: Leaf[] = [];

beforeAll(async () => {
  leaves = await discover();
});

// ---------------------------------------------------------------------------------------------------------
// Generators

const SPECIAL = [
  '', ' ', '-', '--', '-1', '0', '1', '30', '1.5', '1e309', 'NaN', 'Infinity', '0x10', '24:00', '00:00', '7:5', '-1:00', '1:2:3',
  '/', '..', '/a/../b', 'dev', 'prod', PROJECT, CONNECTION, 'verifier', 'plaintext', 'read,create', 'read,,', 'everything',
  'ALTER ROLE {{username}} WITH PASSWORD {{password}}', '{{password}}', "'; DROP TABLE rotations; --", 'body.json', 'ca.pem', 'nope.json',
  'PW', 'EMPTY', 'UNSET_VARIABLE', '\u0000', '\u001b[2J', '\u202e', 'É', '💥', '--json', '-h', '--help', '--no-auto', 'true', 'false', 'null',
];

const value: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('a', 'é', '💥', '-', '{', '\u0000'), fc.integer({ min: 300, max: 200_000 })).map(([c, n]) => c.repeat(n)),
  },
);

const randomFlag: fc.Arbitrary<string> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }).map((s) => `--${s}`),
  fc.constantFrom('-x', '-P', '-pw', '--password', '--token', '--no-ssl', '--no-wait', '--force', '--version', '-V', '--=', '---', '--json=1'),
);

/** One group of tokens after the command path. */
function tokenGroup(leaf: Leaf): fc.Arbitrary<string[]> {
  const known = leaf.options.length > 0 ? leaf.options : [{ flag: '--json', value: false }];
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...known), value).map(([o, v]) => (o.value ? [o.flag, v] : [o.flag])) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...known), value).map(([o, v]) => [`${o.flag}=${v}`]) },
    { weight: 1, arbitrary: fc.constantFrom(...known).map((o) => [o.flag]) }, // a value left out (maybe the last token)
    { weight: 3, arbitrary: value.map((v) => [v]) }, // a positional argument
    { weight: 1, arbitrary: fc.tuple(randomFlag, fc.option(value)).map(([f, v]) => (v === null ? [f] : [f, v])) },
    { weight: 1, arbitrary: fc.constant<string[]>(['--json']) },
    { weight: 1, arbitrary: fc.constant<string[]>(['--']) },
  );
}

const knownCommand: fc.Arbitrary<string[]> = fc
  .integer({ min: 0, max: 1 << 30 })
  .chain((i) => {
    const leaf = leaves[i % leaves.length]!;
    return fc.array(tokenGroup(leaf), { maxLength: 8 }).map((groups) => [...leaf.path, ...groups.flat()]);
  });

const PROPERTY = { numRuns: 3000, endOnFailure: true } as const;

describe('CLI arguments, property-based', () => {
  it('discovers the command tree from --help', () => {
    const names = leaves.map((l) => l.path.join(' '));
    for (const expected of ['connection add', 'rotation create', 'rotation update', 'rotation get', 'secrets get', 'project env add', 'token create', 'run']) {
      expect(names).toContain(expected);
    }
    const create = leaves.find((l) => l.path.join(' ') === 'rotation create')!;
    expect(create.options).toContainEqual({ flag: '--rotate-at', value: true });
    expect(create.options).toContainEqual({ flag: '--no-auto', value: false });
  });

  it('known commands with random flags and values (3000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(knownCommand, async (argv) => check(argv, await run(argv))),
      PROPERTY,
    );
  });

  it('random argv, unknown commands and garbage (2000 cases)', async () => {
    const token = fc.oneof(value, randomFlag, fc.constantFrom('connection', 'rotation', 'secrets', 'project', 'token', 'run', 'help', 'env', 'add', 'create', 'get'));
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 10 }), async (argv) => check(argv, await run(argv))),
      { ...PROPERTY, numRuns: 2000 },
    );
  });

  it('complete, valid invocations with one part mutated reach the deeper validation (2000 cases)', async () => {
    const valid: string[][] = [
      ['rotation', 'create', '--name', 'my-pg-rotation', '--project', PROJECT, '--connection', CONNECTION, '--env', 'dev', '--interval', '30', '--rotate-at', '00:00',
        '--username1', 'infisical_user_1', '--username2', 'infisical_user_2', '--username-secret', 'POSTGRES_DB_USERNAME', '--password-secret', 'POSTGRES_DB_PASSWORD',
        '--password-length', '32', '--password-symbols', '1', '--allowed-symbols', '-_', '--rotation-statement', 'ALTER ROLE {{username}} WITH PASSWORD {{password}}'],
      ['rotation', 'update', randomUUID(), '--interval', '7', '--rotate-at', '03:30', '--no-auto', '--description', 'd'],
      ['connection', 'add', '--name', 'c', '--project', PROJECT, '--host', 'db', '--port', '5432', '--database', 'app', '--username', 'admin', '--password-env', 'PW'],
      ['connection', 'add', '--name', 'c', '--project', PROJECT, '--host', 'db', '--database', 'app', '--username', 'admin', '--password-stdin', '--ssl', '--ssl-ca-file', 'ca.pem'],
      ['token', 'create', '--project', PROJECT, '--name', 'ci', '--actions', 'read,rotate'],
      ['project', 'create', '--name', 'payments'],
      ['project', 'env', 'add', PROJECT, '--slug', 'qa', '--name', 'QA'],
      ['secrets', 'get', 'POSTGRES_DB_PASSWORD', '--project', PROJECT, '--env', 'dev', '--path', '/', '--version', '2'],
      ['rotation', 'create', '--file', 'body.json'],
    ];
    // Each is valid as written: it gets as far as the (missing) stack.
    for (const argv of valid) {
      const o = await run(argv, JSON.stringify({ name: 'x' }));
      expect([o.code, o.stderr], argv.join(' ')).toEqual([argv.includes('--file') ? 2 : 6, argv.includes('--file') ? expect.stringMatching(/^error: /) : expect.any(String)]);
    }
    const mutation = fc.record({
      which: fc.nat(),
      at: fc.nat(),
      op: fc.constantFrom('replace', 'drop', 'duplicate', 'insert', 'json'),
      v: value,
      stdin: fc.oneof(fc.constant(`${PASSWORD}\n`), fc.jsonValue().map((j) => JSON.stringify(j) ?? ''), fc.string()),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ which, at, op, v, stdin }) => {
        const argv = [...valid[which % valid.length]!];
        const i = 2 + (at % Math.max(1, argv.length - 2)); // never the command path itself
        if (op === 'replace') argv[i] = v;
        else if (op === 'drop') argv.splice(i, 1);
        else if (op === 'duplicate') argv.splice(i, 0, argv[i] ?? v);
        else if (op === 'insert') argv.splice(i, 0, v);
        else argv.push('--json');
        check(argv, await run(argv, stdin));
      }),
      { ...PROPERTY, numRuns: 2000 },
    );
    console.log(`[cli-fuzz] ${stats.runs} invocations; exit codes ${JSON.stringify(Object.fromEntries([...stats.byCode].sort()))}`);
  });
});
