/**
 * The one definition of every input rule of docs/design.md §6, shared by the CLI, the REST API and the activities.
 *
 * Not imported by the workflow bundle (see rotation-rules.ts): a workflow's modules are evaluated again for
 * every workflow a worker instantiates, and zod with these schemas costs ~15 ms and ~1 MB each time. The
 * rotation-statement lexer lives here and not in sql.ts (which needs `pg` for quoting); sql.ts re-exports
 * `validateRotationStatement` and renders from `parseRotationStatement`.
 *
 * Every message is written as a *rule* ("must be …") so that `formatZodError` can prefix the field path.
 */
import { z } from 'zod';
import { MAX_MINIMUM_OVERLAP_SECONDS, MAX_ROTATION_WINDOW_MINUTES, minimumOverlapRule } from './rotation-rules.js';

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** Error for a wrong or missing type; other issue codes keep the message given at the check. */
function typeError(expected: string) {
  return {
    error: (iss: { code?: string; input?: unknown }) =>
      iss.code === 'invalid_type' ? (iss.input === undefined ? 'is required' : `must be ${expected}`) : undefined,
  };
}

/** UTF-8 length without TextEncoder/Buffer, so it runs unchanged inside the workflow sandbox. */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

// C0/C1 controls and DEL: never legitimate in names, and they make logs and terminals lie.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
// A lone surrogate cannot be encoded as UTF-8, so PostgreSQL could not store it as typed.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const DAY_LIMIT = 3650;

// ---------------------------------------------------------------------------------------------------------
// Scalars

/** A UUID; a missing one "is required", like every other missing field. */
export const uuidSchema = z.uuid({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a UUID') });

/** Slug: lowercase letters, digits and hyphens; no leading/trailing hyphen (they read as typos in paths/URLs). */
export const slugSchema = z
  .string(typeError('a string'))
  .min(1, { error: 'must not be empty' })
  .max(64, { error: 'must be at most 64 characters' })
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, {
    error: 'must contain only lowercase letters, digits and hyphens, and not start or end with a hyphen',
  });

const SECRET_PATH_SEGMENT = /^[A-Za-z0-9_.-]+$/;

/**
 * Folder path of the mapped secrets, normalised to a leading `/`, no trailing `/` (except the root) and no
 * empty segments. Segments are restricted to letters, digits, `_`, `.`, `-` (as Infisical's folder
 * names), and `.`/`..` are refused so that two spellings can never name the same folder.
 */
export const secretPathSchema = z
  .string(typeError('a string'))
  .max(1024, { error: 'must be at most 1024 characters' })
  .superRefine((raw, ctx) => {
    if (CONTROL_CHARS.test(raw)) {
      ctx.addIssue({ code: 'custom', message: 'must not contain control characters' });
      return;
    }
    for (const segment of raw.split('/')) {
      if (segment === '') continue;
      if (segment === '.' || segment === '..') {
        ctx.addIssue({ code: 'custom', message: `must not contain "${segment}" segments` });
        return;
      }
      if (!SECRET_PATH_SEGMENT.test(segment)) {
        ctx.addIssue({
          code: 'custom',
          message: `folder "${segment}" may contain only letters, digits, "_", "." and "-"`,
        });
        return;
      }
    }
  })
  .transform((raw) => '/' + raw.split('/').filter((s) => s !== '').join('/'));

const rotateAtUtcObject = z.strictObject(
  {
    hours: z
      .number(typeError('an integer from 0 to 23'))
      .int({ error: 'must be an integer from 0 to 23' })
      .min(0, { error: 'must be an integer from 0 to 23' })
      .max(23, { error: 'must be an integer from 0 to 23' }),
    minutes: z
      .number(typeError('an integer from 0 to 59'))
      .int({ error: 'must be an integer from 0 to 59' })
      .min(0, { error: 'must be an integer from 0 to 59' })
      .max(59, { error: 'must be an integer from 0 to 59' }),
  },
  typeError('an object { hours, minutes }'),
);

export const rotateAtUtcSchema = rotateAtUtcObject.default({ hours: 0, minutes: 0 });

/**
 * Days between rotations. Capped at 3650 (ten years): a credential that is not rotated for longer than that is
 * not being rotated, and the cap keeps `lastRotatedAt + interval` far inside Date and Temporal timer ranges.
 */
export const rotationIntervalSchema = z
  .number(typeError(`an integer number of days from 1 to ${DAY_LIMIT}`))
  .int({ error: `must be an integer number of days from 1 to ${DAY_LIMIT}` })
  .min(1, { error: `must be an integer number of days from 1 to ${DAY_LIMIT}` })
  .max(DAY_LIMIT, { error: `must be at most ${DAY_LIMIT} days (ten years)` });

// ---------------------------------------------------------------------------------------------------------
// Rotation window

/**
 * Minutes after rotateAtUtc within which this rotation's automatic rotations fall, at an offset fixed per
 * rotation (derived from its id; see schedule.ts), so that rotations sharing a rotate-at time do not all hit
 * their targets at once. 0 (the default, as in Infisical): exactly at rotateAtUtc. At most 24 h: the offset
 * shifts the rotation's time of day (wrapping past midnight), and a longer window would fold onto itself.
 */
export const rotationWindowMinutesSchema = z
  .number(typeError(`an integer number of minutes from 0 to ${MAX_ROTATION_WINDOW_MINUTES} (24 hours)`))
  .int({ error: `must be an integer number of minutes from 0 to ${MAX_ROTATION_WINDOW_MINUTES} (24 hours)` })
  .min(0, { error: `must be an integer number of minutes from 0 to ${MAX_ROTATION_WINDOW_MINUTES} (24 hours)` })
  .max(MAX_ROTATION_WINDOW_MINUTES, { error: `must be at most ${MAX_ROTATION_WINDOW_MINUTES} minutes (24 hours)` })
  .describe(
    'automatic rotations come this many minutes after rotateAtUtc at most, at an offset fixed per rotation (from its id); ' +
      'nextRotationAt is the real instant. 0: exactly at rotateAtUtc',
  );

// ---------------------------------------------------------------------------------------------------------
// Minimum overlap

/**
 * How long a credential that stopped being active must stay valid before a manual rotation may overwrite it
 * (apps may still hold it). 0 (the default, as in Infisical) turns the check off.
 */
export const minimumOverlapSecondsSchema = z
  .number(typeError(`an integer number of seconds from 0 to ${MAX_MINIMUM_OVERLAP_SECONDS} (30 days)`))
  .int({ error: `must be an integer number of seconds from 0 to ${MAX_MINIMUM_OVERLAP_SECONDS} (30 days)` })
  .min(0, { error: `must be an integer number of seconds from 0 to ${MAX_MINIMUM_OVERLAP_SECONDS} (30 days)` })
  .max(MAX_MINIMUM_OVERLAP_SECONDS, { error: `must be at most ${MAX_MINIMUM_OVERLAP_SECONDS} seconds (30 days)` });

// ---------------------------------------------------------------------------------------------------------
// Password requirements

export const DEFAULT_ALLOWED_SYMBOLS = '-_.~!*';

const requiredCount = (what: string) =>
  z
    .number(typeError(`a non-negative integer count of ${what}`))
    .int({ error: `must be a non-negative integer count of ${what}` })
    .min(0, { error: `must be a non-negative integer count of ${what}` })
    .max(250, { error: 'must be at most 250' });

export const passwordRequirementsSchema = z
  .strictObject(
    {
      length: z
        .number(typeError('an integer from 1 to 250'))
        .int({ error: 'must be an integer from 1 to 250' })
        .min(1, { error: 'must be an integer from 1 to 250' })
        .max(250, { error: 'must be an integer from 1 to 250' })
        .default(48),
      required: z
        .strictObject(
          {
            digits: requiredCount('digits').default(1),
            lowercase: requiredCount('lowercase letters').default(1),
            uppercase: requiredCount('uppercase letters').default(1),
            symbols: requiredCount('symbols').default(0),
          },
          typeError('an object { digits, lowercase, uppercase, symbols }'),
        )
        .default({ digits: 1, lowercase: 1, uppercase: 1, symbols: 0 }),
      allowedSymbols: z
        .string(typeError('a string'))
        .superRefine((symbols, ctx) => {
          const seen = new Set<string>();
          for (const ch of symbols) {
            const code = ch.charCodeAt(0);
            // Printable ASCII only: SCRAM verifiers are computed without SASLprep (see scram.ts).
            if (ch.length !== 1 || code < 0x21 || code > 0x7e || /[A-Za-z0-9]/.test(ch)) {
              ctx.addIssue({
                code: 'custom',
                message: `may contain only printable ASCII symbols (no letters, digits, whitespace or non-ASCII); ${JSON.stringify(ch)} is not allowed`,
              });
              return;
            }
            if (seen.has(ch)) {
              // A repeated symbol would silently be picked more often than the others.
              ctx.addIssue({ code: 'custom', message: `must not repeat a symbol; ${JSON.stringify(ch)} appears twice` });
              return;
            }
            seen.add(ch);
          }
        })
        .default(DEFAULT_ALLOWED_SYMBOLS),
    },
    typeError('an object { length, required, allowedSymbols }'),
  )
  .superRefine((req, ctx) => {
    const { digits, lowercase, uppercase, symbols } = req.required;
    const sum = digits + lowercase + uppercase + symbols;
    if (sum === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['required'],
        message: 'must require at least one character (digits, lowercase, uppercase or symbols greater than 0)',
      });
    }
    if (sum > req.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['required'],
        message: `must add up to at most length (${req.length}); the required counts add up to ${sum}`,
      });
    }
    if (symbols > 0 && req.allowedSymbols.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowedSymbols'],
        message: 'must not be empty when required.symbols is greater than 0',
      });
    }
  });

// ---------------------------------------------------------------------------------------------------------
// Rotation statement template (pure lexer; quoting happens in sql.ts)

export const ROTATION_STATEMENT_MAX_LENGTH = 2048;
export const PLACEHOLDERS = ['username', 'password', 'database'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export type TemplateSegment = { kind: 'text'; text: string } | { kind: 'placeholder'; name: Placeholder };

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
const PLACEHOLDER_LIKE = /\{\{([^{}]*)\}\}/;

function shortQuote(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * Splits a rotation statement into text and placeholders, following PostgreSQL's lexical rules for quoted
 * identifiers, string literals (incl. E'' escapes), dollar quoting and comments. A placeholder is only
 * recognised in plain SQL: inside quotes its quoted replacement would end the surrounding literal early, which
 * is exactly the injection this module exists to prevent. Returns a rule phrase on error.
 */
export function parseRotationStatement(template: string): { segments: TemplateSegment[] } | { error: string } {
  if (typeof template !== 'string') return { error: 'must be a string' };
  if (template.length > ROTATION_STATEMENT_MAX_LENGTH) {
    return { error: `must be at most ${ROTATION_STATEMENT_MAX_LENGTH} characters (got ${template.length})` };
  }
  if (template.trim() === '') return { error: 'must not be empty' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(template)) {
    return { error: 'must not contain control characters other than tab and newline' };
  }

  const segments: TemplateSegment[] = [];
  let text = '';
  const seen = new Set<Placeholder>();
  const n = template.length;
  let i = 0;

  const quotedPlaceholder = (body: string, where: string): string | null => {
    const m = PLACEHOLDER_LIKE.exec(body);
    if (!m) return null;
    const shown = `{{${shortQuote((m[1] ?? '').trim())}}}`;
    return (
      `must not put placeholder ${shown} ${where}: placeholders are replaced by already-quoted values ` +
      `(an identifier or a string literal), so write ${shown} without quotes`
    );
  };

  while (i < n) {
    const c = template[i] as string;
    const next = template[i + 1];

    if (c === '-' && next === '-') {
      const end = template.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      const body = template.slice(i, stop);
      if (PLACEHOLDER_LIKE.test(body)) return { error: 'must not put a placeholder inside a comment' };
      text += body;
      i = stop;
      continue;
    }

    if (c === '/' && next === '*') {
      // Block comments nest in PostgreSQL.
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (template[j] === '/' && template[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (template[j] === '*' && template[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      if (depth > 0) return { error: 'has an unterminated /* comment' };
      const body = template.slice(i, j);
      if (PLACEHOLDER_LIKE.test(body)) return { error: 'must not put a placeholder inside a comment' };
      text += body;
      i = j;
      continue;
    }

    if (c === "'") {
      const prev = template[i - 1];
      const beforePrev = template[i - 2];
      const escapeString = (prev === 'E' || prev === 'e') && (beforePrev === undefined || !IDENT_CHAR.test(beforePrev));
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = template[j];
        if (escapeString && d === '\\') {
          j += 2;
        } else if (d === "'") {
          if (template[j + 1] === "'") j += 2;
          else {
            closed = true;
            j++;
            break;
          }
        } else j++;
      }
      if (!closed) return { error: 'has an unterminated string literal' };
      const body = template.slice(i, j);
      const err = quotedPlaceholder(body, "inside single quotes ('…')");
      if (err) return { error: err };
      text += body;
      i = j;
      continue;
    }

    if (c === '"') {
      let j = i + 1;
      let closed = false;
      while (j < n) {
        if (template[j] === '"') {
          if (template[j + 1] === '"') j += 2;
          else {
            closed = true;
            j++;
            break;
          }
        } else j++;
      }
      if (!closed) return { error: 'has an unterminated quoted identifier' };
      const body = template.slice(i, j);
      const err = quotedPlaceholder(body, 'inside double quotes ("…")');
      if (err) return { error: err };
      text += body;
      i = j;
      continue;
    }

    if (c === '$') {
      const prev = template[i - 1];
      const tag = DOLLAR_TAG.exec(template.slice(i));
      if (tag && (prev === undefined || !IDENT_CHAR.test(prev))) {
        const close = template.indexOf(tag[0], i + tag[0].length);
        if (close === -1) return { error: `has an unterminated dollar-quoted string (${tag[0]})` };
        const stop = close + tag[0].length;
        const body = template.slice(i, stop);
        const err = quotedPlaceholder(body, 'inside a dollar-quoted string');
        if (err) return { error: err };
        text += body;
        i = stop;
        continue;
      }
    }

    if (c === '{' && next === '{') {
      const close = template.indexOf('}}', i + 2);
      if (close === -1) return { error: 'has "{{" without a closing "}}"' };
      const name = template.slice(i + 2, close).trim();
      if (!isPlaceholder(name)) {
        return {
          error: `must not use the unknown placeholder {{${shortQuote(name)}}} (allowed: {{username}}, {{password}}, {{database}})`,
        };
      }
      if (text !== '') segments.push({ kind: 'text', text });
      text = '';
      segments.push({ kind: 'placeholder', name });
      seen.add(name);
      i = close + 2;
      continue;
    }

    if (c === ';') {
      if (template.slice(i + 1).trim() !== '') {
        return { error: 'must be a single statement: ";" is allowed only at the very end' };
      }
      text += c;
      i++;
      continue;
    }

    text += c;
    i++;
  }
  if (text !== '') segments.push({ kind: 'text', text });

  for (const required of ['username', 'password'] as const) {
    if (!seen.has(required)) return { error: `must contain the placeholder {{${required}}}` };
  }
  return { segments };
}

/** Error rule phrase (e.g. "must contain the placeholder {{password}}") or null when the template is usable. */
export function validateRotationStatement(template: string): string | null {
  const parsed = parseRotationStatement(template);
  return 'error' in parsed ? parsed.error : null;
}

// ---------------------------------------------------------------------------------------------------------
// Rotation parameters and secrets mapping

/**
 * PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1). Refusing longer names, rather than letting
 * the server truncate them, guarantees we never alter a different role that happens to share the prefix.
 */
const roleNameSchema = z.string(typeError('a string')).superRefine((name, ctx) => {
  const bytes = utf8ByteLength(name);
  if (bytes < 1 || bytes > 63) {
    ctx.addIssue({ code: 'custom', message: `must be 1 to 63 bytes in UTF-8 (got ${bytes})` });
    return;
  }
  if (CONTROL_CHARS.test(name)) ctx.addIssue({ code: 'custom', message: 'must not contain control characters' });
  else if (LONE_SURROGATE.test(name)) ctx.addIssue({ code: 'custom', message: 'must be valid Unicode' });
});

export const rotationParametersSchema = z
  .strictObject(
    {
      username1: roleNameSchema,
      username2: roleNameSchema,
      rotationStatement: z.string(typeError('a string')).superRefine((template, ctx) => {
        const err = validateRotationStatement(template);
        if (err) ctx.addIssue({ code: 'custom', message: err });
      }).optional(),
      // "verifier" keeps the plaintext off the target server and out of its statement log (docs/design.md I3).
      rotationStatementPassword: z
        .enum(['verifier', 'plaintext'], { error: 'must be "verifier" or "plaintext"' })
        .default('verifier'),
      passwordRequirements: passwordRequirementsSchema.optional(),
    },
    typeError('an object { username1, username2, … }'),
  )
  .superRefine((p, ctx) => {
    if (p.username1 === p.username2) {
      ctx.addIssue({ code: 'custom', path: ['username2'], message: 'must differ from parameters.username1' });
    }
    if (p.rotationStatementPassword === 'plaintext' && p.rotationStatement === undefined) {
      // The default statement always takes the verifier; sending it plaintext would only leak it.
      ctx.addIssue({
        code: 'custom',
        path: ['rotationStatementPassword'],
        message: 'may be "plaintext" only together with a custom parameters.rotationStatement',
      });
    }
  });

const secretNameSchema = z
  .string(typeError('a string'))
  .min(1, { error: 'must not be empty' })
  .max(255, { error: 'must be at most 255 characters' })
  .superRefine((name, ctx) => {
    if (/[:/]/.test(name)) ctx.addIssue({ code: 'custom', message: 'must not contain ":" or "/"' });
    // eslint-disable-next-line no-control-regex
    else if (/[\s\u0000-\u001f\u007f-\u009f]/.test(name)) {
      ctx.addIssue({ code: 'custom', message: 'must not contain whitespace or control characters' });
    } else if (LONE_SURROGATE.test(name)) ctx.addIssue({ code: 'custom', message: 'must be valid Unicode' });
  });

export const secretsMappingSchema = z
  .strictObject(
    { username: secretNameSchema, password: secretNameSchema },
    typeError('an object { username, password }'),
  )
  .superRefine((m, ctx) => {
    if (m.username === m.password) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'must differ from secretsMapping.username' });
    }
  });

// ---------------------------------------------------------------------------------------------------------
// Request bodies

const descriptionSchema = z
  .string(typeError('a string or null'))
  .max(256, { error: 'must be at most 256 characters' })
  .nullable()
  .optional();

const isAutoRotationEnabledSchema = z.boolean(typeError('true or false'));

/**
 * Infisical's create body, plus the optional `minimumOverlapSeconds`; unknown fields are rejected so
 * that typos do not pass silently.
 */
export const createRotationSchema = z
  .strictObject(
    {
      name: slugSchema,
      projectId: uuidSchema,
      description: descriptionSchema,
      connectionId: uuidSchema,
      environment: slugSchema,
      secretPath: secretPathSchema.default('/'),
      isAutoRotationEnabled: isAutoRotationEnabledSchema.default(true),
      rotationInterval: rotationIntervalSchema,
      rotateAtUtc: rotateAtUtcSchema,
      parameters: rotationParametersSchema,
      secretsMapping: secretsMappingSchema,
      minimumOverlapSeconds: minimumOverlapSecondsSchema.default(0),
      rotationWindowMinutes: rotationWindowMinutesSchema.default(0),
    },
    typeError('a JSON object'),
  )
  .superRefine((body, ctx) => {
    const rule = minimumOverlapRule(body.rotationInterval, body.minimumOverlapSeconds);
    if (rule) ctx.addIssue({ code: 'custom', path: ['minimumOverlapSeconds'], message: rule });
  });

const UPDATABLE = [
  'name',
  'description',
  'isAutoRotationEnabled',
  'rotationInterval',
  'rotateAtUtc',
  'parameters',
  'secretsMapping',
  'minimumOverlapSeconds',
  'rotationWindowMinutes',
] as const;

/** A patch: only the fields given change (no defaults are filled in); at least one field. */
export const updateRotationSchema = z
  .strictObject(
    {
      name: slugSchema.optional(),
      description: descriptionSchema,
      isAutoRotationEnabled: isAutoRotationEnabledSchema.optional(),
      rotationInterval: rotationIntervalSchema.optional(),
      rotateAtUtc: rotateAtUtcObject.optional(),
      parameters: rotationParametersSchema.optional(),
      secretsMapping: secretsMappingSchema.optional(),
      minimumOverlapSeconds: minimumOverlapSecondsSchema.optional(),
      rotationWindowMinutes: rotationWindowMinutesSchema.optional(),
    },
    typeError('a JSON object'),
  )
  .superRefine((patch, ctx) => {
    if (!UPDATABLE.some((k) => patch[k] !== undefined)) {
      ctx.addIssue({ code: 'custom', message: `must contain at least one field to change (${UPDATABLE.join(', ')})` });
    }
    // Both in the patch: checked here; one of them against the stored other: see configChangeProblem.
    if (patch.rotationInterval !== undefined && patch.minimumOverlapSeconds !== undefined) {
      const rule = minimumOverlapRule(patch.rotationInterval, patch.minimumOverlapSeconds);
      if (rule) ctx.addIssue({ code: 'custom', path: ['minimumOverlapSeconds'], message: rule });
    }
  });

/** Accepts booleans (JSON/CLI) and "true"/"false" (query strings). */
const flagSchema = z
  .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
    error: 'must be true or false',
  })
  .default(false);

/** Options of a manual rotation (`rotate` update, POST …/rotate-secrets body, `rotation rotate --force`). */
export const rotateOptionsSchema = z.strictObject(
  {
    force: z
      .boolean(typeError('true or false'))
      .optional()
      .describe('rotate even if the credential it overwrites stopped being active less than minimumOverlapSeconds ago'),
  },
  typeError('an object { force }'),
);

/** Strict: a typo in a destructive option (deleteSecret=true) must not be ignored. */
export const deleteRotationOptionsSchema = z.strictObject(
  { deleteSecrets: flagSchema, revokeGeneratedCredentials: flagSchema },
  typeError('an object { deleteSecrets, revokeGeneratedCredentials }'),
);

/** The folder a rotation is looked up by name in (GET …/rotation-name/:name). */
export const rotationNameQuerySchema = z.strictObject({
  projectId: uuidSchema,
  environment: slugSchema,
  secretPath: secretPathSchema.default('/'),
});

export const MAX_LIST_LIMIT = 1000;

/** An integer in a query string: digits only, so that an empty or padded value is refused rather than read as 0. */
function queryInteger(min: number, max: number, rule: string) {
  const error = { error: `must be ${rule}` };
  return z.string(error).regex(/^[0-9]{1,16}$/, error).transform(Number).pipe(z.number().int(error).min(min, error).max(max, error));
}

/**
 * A page of a project's rotations (GET …?projectId=&limit=&offset=), in creation order. Without `limit` every
 * rotation is listed, as Infisical's API does; a large project pages instead (the response carries totalCount).
 */
export const listRotationsQuerySchema = z.strictObject({
  projectId: uuidSchema,
  limit: queryInteger(1, MAX_LIST_LIMIT, `an integer from 1 to ${MAX_LIST_LIMIT}`)
    .optional()
    .describe(`rotations per page (1–${MAX_LIST_LIMIT}); absent: all of them`),
  offset: queryInteger(0, Number.MAX_SAFE_INTEGER, 'an integer of at least 0')
    .default(0)
    .describe('rotations to skip (in creation order)'),
});

// ---------------------------------------------------------------------------------------------------------
// Types

export type RotateAtUtc = z.output<typeof rotateAtUtcObject>;
export type PasswordRequirements = z.output<typeof passwordRequirementsSchema>;
export type RotationParameters = z.output<typeof rotationParametersSchema>;
export type SecretsMapping = z.output<typeof secretsMappingSchema>;
export type CreateRotationInput = z.output<typeof createRotationSchema>;
export type UpdateRotationPatch = z.output<typeof updateRotationSchema>;
export type DeleteRotationOptions = z.output<typeof deleteRotationOptionsSchema>;
export type RotateOptions = z.output<typeof rotateOptionsSchema>;
export type RotationNameQuery = z.output<typeof rotationNameQuerySchema>;
export type ListRotationsQuery = z.output<typeof listRotationsQuerySchema>;

// ---------------------------------------------------------------------------------------------------------
// Errors

/** One broken rule: the field path, the rule ("must …") and both together as a sentence (ending with the error's fix, when it has one). */
export const errorDetailSchema = z.object({ field: z.string(), rule: z.string(), message: z.string() });
export type ErrorDetail = z.output<typeof errorDetailSchema>;

export interface FormattedValidationError {
  message: string;
  details: ErrorDetail[];
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? 'body' : out;
}

/**
 * Turns a ZodError into `{ message, details }` where each detail names the field path (`parameters.username2`)
 * and the rule (`must differ from parameters.username1`). Used for API 400s and CLI exit messages (docs/design.md I6).
 */
export function formatZodError(err: z.ZodError): FormattedValidationError {
  const details: FormattedValidationError['details'] = [];
  for (const issue of err.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const field = fieldPath([...issue.path, key]);
        details.push({ field, rule: 'is not a known field', message: `${field} is not a known field` });
      }
      continue;
    }
    const field = fieldPath(issue.path);
    const rule = issue.message;
    details.push({ field, rule, message: `${field} ${rule}` });
  }
  const message =
    details.length === 0 ? 'invalid input' : details.map((d) => d.message).join('; ');
  return { message, details };
}
