/**
 * The one table of rotation flags (`rotation create` and `rotation update`). From it come the commander
 * options, the mapping from flags to the API's request body, and the field → flag hint of error messages
 * (an error about `rotateAtUtc` speaks of `--rotate-at`).
 */
import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { formatZodError } from '../domain/rotation-schemas.js';
import type { RotationView } from '../domain/rotation-view-schemas.js';
import type { ErrorDetail } from '../service/errors.js';
import { CliError } from './errors.js';
import { flagHints, numberOrRaw, setPath } from './flags.js';

/** A flag value as the body takes it, or the rule its own format breaks. */
type Parsed = { value: unknown } | { rule: string };

interface RotationFlag {
  /** commander's spec, e.g. `--interval <days>`. */
  spec: string;
  /** The body field it sets (a dot path). */
  field: string;
  description: string;
  /** Only on `rotation create`: what names the rotation's place and roles cannot be changed afterwards. */
  createOnly?: true;
  /** For a boolean flag: the description of its `--no-` form. */
  negation?: string;
  parse?: (raw: string) => Parsed;
}

const asNumber = (raw: string): Parsed => ({ value: numberOrRaw(raw) });

/** "HH:MM" (UTC) → { hours, minutes }; the ranges are the schema's to check, the shape is the flag's. */
export function parseRotateAt(raw: string): Parsed {
  const m = /^\s*(\d{1,2})\s*:\s*(\d{1,2})\s*$/.exec(raw);
  if (!m) return { rule: `must be HH:MM, a time of day in UTC (e.g. 03:30, or 15:00 for 3 pm): ${JSON.stringify(raw)} is not` };
  return { value: { hours: Number(m[1]), minutes: Number(m[2]) } };
}

export const ROTATION_FLAGS: readonly RotationFlag[] = [
  { spec: '--project <uuid>', field: 'projectId', description: 'project id (projectId)', createOnly: true },
  { spec: '--connection <id>', field: 'connectionId', description: 'connection id (connectionId), see `connection list`', createOnly: true },
  { spec: '--env <slug>', field: 'environment', description: 'environment slug (environment)', createOnly: true },
  { spec: '--path <path>', field: 'secretPath', description: 'folder of the mapped secrets (secretPath), default /', createOnly: true },
  { spec: '--username1 <role>', field: 'parameters.username1', description: 'first rotated login role (parameters.username1)', createOnly: true },
  { spec: '--username2 <role>', field: 'parameters.username2', description: 'second rotated login role (parameters.username2)', createOnly: true },
  { spec: '--name <slug>', field: 'name', description: 'rotation name: lowercase letters, digits, hyphens' },
  { spec: '--description <text>', field: 'description', description: 'description (≤ 256 characters)' },
  { spec: '--interval <days>', field: 'rotationInterval', description: 'rotationInterval: days between rotations (default 30 on create)', parse: asNumber },
  {
    spec: '--rotate-at <HH:MM>',
    field: 'rotateAtUtc',
    description: 'rotateAtUtc: UTC time of day of automatic rotations, HH:MM (default 00:00)',
    parse: parseRotateAt,
  },
  {
    spec: '--rotation-window <minutes>',
    field: 'rotationWindowMinutes',
    description:
      'rotationWindowMinutes: automatic rotations fall up to this many minutes after --rotate-at, at an offset fixed per rotation, so rotations sharing a time do not all start at once (0–1440, default 0: exactly at --rotate-at)',
    parse: asNumber,
  },
  {
    spec: '--auto',
    field: 'isAutoRotationEnabled',
    description: 'enable automatic rotation (isAutoRotationEnabled, the default)',
    negation: 'disable automatic rotation (rotate manually only)',
  },
  { spec: '--username-secret <name>', field: 'secretsMapping.username', description: 'secret that holds the active username (secretsMapping.username)' },
  { spec: '--password-secret <name>', field: 'secretsMapping.password', description: 'secret that holds the active password (secretsMapping.password)' },
  {
    spec: '--rotation-statement <sql>',
    field: 'parameters.rotationStatement',
    description: 'custom statement with {{username}} and {{password}} (and {{database}})',
  },
  {
    spec: '--rotation-statement-password <form>',
    field: 'parameters.rotationStatementPassword',
    description: 'verifier (default) or plaintext: what {{password}} becomes in a custom statement',
  },
  { spec: '--password-length <n>', field: 'parameters.passwordRequirements.length', description: 'generated password length 1–250 (default 48)', parse: asNumber },
  { spec: '--password-digits <n>', field: 'parameters.passwordRequirements.required.digits', description: 'at least n digits (default 1)', parse: asNumber },
  {
    spec: '--password-lowercase <n>',
    field: 'parameters.passwordRequirements.required.lowercase',
    description: 'at least n lowercase letters (default 1)',
    parse: asNumber,
  },
  {
    spec: '--password-uppercase <n>',
    field: 'parameters.passwordRequirements.required.uppercase',
    description: 'at least n uppercase letters (default 1)',
    parse: asNumber,
  },
  { spec: '--password-symbols <n>', field: 'parameters.passwordRequirements.required.symbols', description: 'at least n symbols (default 0)', parse: asNumber },
  { spec: '--allowed-symbols <chars>', field: 'parameters.passwordRequirements.allowedSymbols', description: 'symbols a password may contain (default -_.~!*)' },
  {
    spec: '--minimum-overlap <seconds>',
    field: 'minimumOverlapSeconds',
    description:
      'minimumOverlapSeconds: refuse a manual rotation (unless --force) while the credential it overwrites stopped being active less than this long ago (default 0: never)',
    parse: asNumber,
  },
];

type Mode = 'create' | 'update';

const inMode = (mode: Mode) => ROTATION_FLAGS.filter((f) => mode === 'create' || !f.createOnly);
const longName = (f: RotationFlag) => new Option(f.spec).long!;
/** commander's key for the flag's value in the parsed options (`--rotate-at` → `rotateAt`). */
const keyOf = (f: RotationFlag) => new Option(f.spec).attributeName();

/** Options of `rotation create|update` as commander hands them over (raw strings, booleans for --auto). */
export type RotationFlags = Readonly<Record<string, unknown>>;

/** Adds the rotation flags of `create` or `update` to a command. */
export function addRotationFlags(cmd: Command, mode: Mode): Command {
  for (const f of inMode(mode)) {
    cmd.addOption(new Option(f.spec, f.description));
    if (f.negation) cmd.addOption(new Option(`--no-${longName(f).slice(2)}`, f.negation));
  }
  return cmd;
}

const hintOf = (f: RotationFlag) => (f.negation ? `${longName(f)}/--no-${longName(f).slice(2)}` : longName(f));
/** Objects the flags fill in part by part: a rule on the whole (e.g. "the counts exceed the length") names all their flags. */
const GROUPS = ['secretsMapping', 'parameters.passwordRequirements.required'];

/** Field → flag, for error messages about bodies built from flags (`--force` belongs to `rotation rotate`). */
export const rotationFlagFor = flagHints({
  ...Object.fromEntries(ROTATION_FLAGS.map((f) => [f.field, hintOf(f)])),
  ...Object.fromEntries(GROUPS.map((g) => [g, ROTATION_FLAGS.filter((f) => f.field.startsWith(`${g}.`)).map(hintOf).join('/')])),
  force: '--force',
});

/** The rotation flags given: each value as the body takes it, and the flags whose own format is wrong. */
export interface GivenRotationFlags {
  values: readonly { field: string; value: unknown }[];
  problems: ErrorDetail[];
}

export function readRotationFlags(opts: RotationFlags, mode: Mode): GivenRotationFlags {
  const values: GivenRotationFlags['values'][number][] = [];
  const problems: ErrorDetail[] = [];
  for (const f of inMode(mode)) {
    const raw = opts[keyOf(f)];
    if (raw === undefined) continue;
    const parsed = typeof raw === 'string' && f.parse ? f.parse(raw) : { value: raw };
    // A malformed value stays in the body as given, so the body still has the field; the schema's words on it are dropped.
    if ('rule' in parsed) problems.push({ field: f.field, rule: parsed.rule, message: `${longName(f)} ${parsed.rule}` });
    values.push({ field: f.field, value: 'rule' in parsed ? raw : parsed.value });
  }
  return { values, problems };
}

/** True when any body flag (anything but --file and --json) was given. */
export function hasBodyFlags(opts: RotationFlags): boolean {
  return ROTATION_FLAGS.some((f) => opts[keyOf(f)] !== undefined);
}

/**
 * The create body (the API's request shape). `parameters` and `secretsMapping` are always present, so a
 * missing `--username1` reads "parameters.username1 is required" rather than "parameters is required".
 */
export function createBodyFromFlags(given: GivenRotationFlags): Record<string, unknown> {
  const body: Record<string, unknown> = { parameters: {}, secretsMapping: {} };
  for (const { field, value } of given.values) setPath(body, field, value);
  return body;
}

/** `parameters` and `secretsMapping` are whole objects in a PATCH: a flag that sets a part of one merges onto the current. */
const WHOLE_IN_PATCH = ['parameters', 'secretsMapping'] as const;
type WholeInPatch = (typeof WHOLE_IN_PATCH)[number];
const wholeOf = (field: string) => WHOLE_IN_PATCH.find((w) => field.startsWith(`${w}.`));

/** True when the update needs the current rotation to merge flags into `parameters` or `secretsMapping`. */
export function updateNeedsCurrent(given: GivenRotationFlags): boolean {
  return given.values.some((v) => wholeOf(v.field) !== undefined);
}

/** A PATCH body with only the fields given; `current` is needed exactly when updateNeedsCurrent says so. */
export function updatePatchFromFlags(given: GivenRotationFlags, current?: Pick<RotationView, WholeInPatch>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const { field, value } of given.values) {
    const whole = wholeOf(field);
    if (whole && !(whole in patch)) {
      if (!current) throw new Error(`updatePatchFromFlags: ${field} needs the current rotation`);
      patch[whole] = current[whole]; // setPath copies what it changes: current stays as it was
    }
    setPath(patch, field, value);
  }
  return patch;
}

/**
 * Throws a validation error naming every bad flag: those whose own format is wrong and, given a schema, every
 * rule the body breaks (except on the fields of flags already reported: the flag's words replace the schema's).
 * Given a schema, returns the parsed body.
 */
export function checkRotationFlags(given: GivenRotationFlags): void;
export function checkRotationFlags<S extends z.ZodType>(given: GivenRotationFlags, against: { schema: S; body: unknown }): z.output<S>;
export function checkRotationFlags(given: GivenRotationFlags, against?: { schema: z.ZodType; body: unknown }): unknown {
  const parsed = against?.schema.safeParse(against.body);
  const covered = (field: string) => given.problems.some((p) => field === p.field || field.startsWith(`${p.field}.`));
  const fromSchema = parsed && !parsed.success ? formatZodError(parsed.error).details.filter((d) => !covered(d.field)) : [];
  const details = [...given.problems, ...fromSchema];
  if (details.length > 0) throw new CliError('validation', details.map((d) => d.message).join('; '), details);
  return parsed?.data;
}
