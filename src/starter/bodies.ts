/**
 * Pure mapping from CLI flags to the request bodies the service layer takes. Flags are passed through as raw
 * as possible (numbers only when they look like numbers) so that the zod schemas stay the one definition of
 * every rule, and a bad flag is reported under the body field it sets (`rotationInterval`, `rotateAtUtc`).
 */
import type { RotationView } from '../domain/rotation-types.js';

/** Options of `rotation create|update` as commander hands them over (all raw strings). */
export interface RotationFlags {
  name?: string;
  project?: string;
  connection?: string;
  env?: string;
  path?: string;
  description?: string;
  interval?: string;
  rotateAt?: string;
  auto?: boolean;
  username1?: string;
  username2?: string;
  usernameSecret?: string;
  passwordSecret?: string;
  rotationStatement?: string;
  rotationStatementPassword?: string;
  passwordLength?: string;
  passwordDigits?: string;
  passwordLowercase?: string;
  passwordUppercase?: string;
  passwordSymbols?: string;
  allowedSymbols?: string;
  minimumOverlap?: string;
}

/** Which flag sets which body field: lets an error about a body field point at the flag the user typed. */
export const FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  name: '--name',
  projectId: '--project',
  connectionId: '--connection',
  environment: '--env',
  secretPath: '--path',
  description: '--description',
  rotationInterval: '--interval',
  rotateAtUtc: '--rotate-at',
  isAutoRotationEnabled: '--auto/--no-auto',
  'parameters.username1': '--username1',
  'parameters.username2': '--username2',
  'parameters.rotationStatement': '--rotation-statement',
  'parameters.rotationStatementPassword': '--rotation-statement-password',
  'parameters.passwordRequirements.length': '--password-length',
  'parameters.passwordRequirements.required': '--password-digits/-lowercase/-uppercase/-symbols',
  'parameters.passwordRequirements.required.digits': '--password-digits',
  'parameters.passwordRequirements.required.lowercase': '--password-lowercase',
  'parameters.passwordRequirements.required.uppercase': '--password-uppercase',
  'parameters.passwordRequirements.required.symbols': '--password-symbols',
  'parameters.passwordRequirements.allowedSymbols': '--allowed-symbols',
  'secretsMapping.username': '--username-secret',
  'secretsMapping.password': '--password-secret',
  minimumOverlapSeconds: '--minimum-overlap',
  force: '--force',
  slug: '--slug',
  actions: '--actions',
};

/** The flag for a field path, also for a path below it (`rotateAtUtc.hours` → `--rotate-at`). */
export function flagForField(field: string): string | undefined {
  // The parent of `a.b` and of `a[1]` is `a`; of `a`, nothing.
  const parent = (f: string) => {
    const up = f.replace(/(?:\.[^.[\]]*|\[\d+\])$/, '');
    return up === f ? '' : up;
  };
  for (let f = field; f !== ''; f = parent(f)) {
    const flag = FLAG_FOR_FIELD[f];
    if (flag) return flag;
  }
  return undefined;
}

const NUMBER_LITERAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** "30" → 30, "1.5" → 1.5, "-1" → -1; anything else stays a string so that the schema reports it. */
export function numberOrRaw(raw: string | undefined): number | string | undefined {
  if (raw === undefined) return undefined;
  const t = raw.trim();
  return NUMBER_LITERAL.test(t) ? Number(t) : raw;
}

/** "HH:MM" → { hours, minutes } (values unchecked: the schema does that); anything else is passed on as is. */
export function parseRotateAt(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  const m = /^\s*([^:\s]+)\s*:\s*([^:\s]+)\s*$/.exec(raw);
  if (!m) return raw;
  return { hours: numberOrRaw(m[1]), minutes: numberOrRaw(m[2]) };
}

/** Drops keys whose value is undefined, so a body looks as if it were written by hand in JSON. */
export function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}

const isEmpty = (o: object) => Object.keys(o).length === 0;

function requiredCountsFromFlags(f: RotationFlags): Record<string, unknown> {
  return compact({
    digits: numberOrRaw(f.passwordDigits),
    lowercase: numberOrRaw(f.passwordLowercase),
    uppercase: numberOrRaw(f.passwordUppercase),
    symbols: numberOrRaw(f.passwordSymbols),
  });
}

/** passwordRequirements from flags on top of `base` (the current requirements on update); undefined if none given. */
export function passwordRequirementsFromFlags(f: RotationFlags, base?: Record<string, unknown>): Record<string, unknown> | undefined {
  const required = requiredCountsFromFlags(f);
  const top = compact({ length: numberOrRaw(f.passwordLength), allowedSymbols: f.allowedSymbols });
  if (isEmpty(required) && isEmpty(top)) return undefined;
  const baseRequired = (base?.required ?? undefined) as Record<string, unknown> | undefined;
  const out: Record<string, unknown> = { ...(base ?? {}), ...top };
  if (!isEmpty(required)) out.required = { ...(baseRequired ?? {}), ...required };
  return out;
}

/** True when any flag that belongs inside `parameters` was given. */
export function hasParameterFlags(f: RotationFlags): boolean {
  return (
    f.username1 !== undefined ||
    f.username2 !== undefined ||
    f.rotationStatement !== undefined ||
    f.rotationStatementPassword !== undefined ||
    passwordRequirementsFromFlags(f) !== undefined
  );
}

const ROTATION_FLAG_KEYS: readonly (keyof RotationFlags)[] = [
  'name', 'project', 'connection', 'env', 'path', 'description', 'interval', 'rotateAt', 'auto', 'username1', 'username2',
  'usernameSecret', 'passwordSecret', 'rotationStatement', 'rotationStatementPassword', 'passwordLength', 'passwordDigits',
  'passwordLowercase', 'passwordUppercase', 'passwordSymbols', 'allowedSymbols', 'minimumOverlap',
];

/** True when any body flag (anything but --file and --json) was given. */
export function hasBodyFlags(f: RotationFlags): boolean {
  return ROTATION_FLAG_KEYS.some((k) => f[k] !== undefined);
}

/**
 * The create body (the seed's sample request shape). `parameters` and `secretsMapping` are always present, so
 * a missing `--username1` reads "parameters.username1 is required" rather than "parameters is required".
 */
export function createBodyFromFlags(f: RotationFlags): Record<string, unknown> {
  return compact({
    name: f.name,
    projectId: f.project,
    description: f.description,
    connectionId: f.connection,
    environment: f.env,
    secretPath: f.path,
    isAutoRotationEnabled: f.auto,
    rotationInterval: numberOrRaw(f.interval),
    rotateAtUtc: parseRotateAt(f.rotateAt),
    parameters: compact({
      username1: f.username1,
      username2: f.username2,
      rotationStatement: f.rotationStatement,
      rotationStatementPassword: f.rotationStatementPassword,
      passwordRequirements: passwordRequirementsFromFlags(f),
    }),
    secretsMapping: compact({ username: f.usernameSecret, password: f.passwordSecret }),
    minimumOverlapSeconds: numberOrRaw(f.minimumOverlap),
  });
}

/**
 * A PATCH body from flags. Only the fields given are in it. `parameters` and `secretsMapping` are whole objects
 * in the API, so flags that change a part of them are merged onto `current` (required only then).
 */
export function updatePatchFromFlags(f: RotationFlags, current?: Pick<RotationView, 'parameters' | 'secretsMapping'>): Record<string, unknown> {
  const patch: Record<string, unknown> = compact({
    name: f.name,
    description: f.description,
    isAutoRotationEnabled: f.auto,
    rotationInterval: numberOrRaw(f.interval),
    rotateAtUtc: parseRotateAt(f.rotateAt),
    minimumOverlapSeconds: numberOrRaw(f.minimumOverlap),
  });
  if (current && hasParameterFlags(f)) {
    const base = current.parameters as unknown as Record<string, unknown>;
    patch.parameters = compact({
      ...base,
      username1: f.username1 ?? base.username1,
      username2: f.username2 ?? base.username2,
      rotationStatement: f.rotationStatement ?? base.rotationStatement,
      rotationStatementPassword: f.rotationStatementPassword ?? base.rotationStatementPassword,
      passwordRequirements:
        passwordRequirementsFromFlags(f, base.passwordRequirements as Record<string, unknown> | undefined) ?? base.passwordRequirements,
    });
  }
  if (current && (f.usernameSecret !== undefined || f.passwordSecret !== undefined)) {
    patch.secretsMapping = {
      username: f.usernameSecret ?? current.secretsMapping.username,
      password: f.passwordSecret ?? current.secretsMapping.password,
    };
  }
  return patch;
}

/** True when the update needs the current rotation to merge nested flags. */
export function updateNeedsCurrent(f: RotationFlags): boolean {
  return hasParameterFlags(f) || f.usernameSecret !== undefined || f.passwordSecret !== undefined;
}

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

/** The seed's app-connection body; the password and CA certificate are read by the caller (stdin/env/file). */
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

/** "read, rotate" → ['read', 'rotate']; empty items are kept (as "") so that the schema reports them. */
export function splitList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(',').map((s) => s.trim());
}

export interface TokenFlags {
  name?: string;
  project?: string;
  actions?: string;
}

/** The create-token body ({ name, projectId, actions }) from `token create` flags. */
export function tokenBodyFromFlags(f: TokenFlags): Record<string, unknown> {
  return compact({ name: f.name, projectId: f.project, actions: splitList(f.actions) });
}
