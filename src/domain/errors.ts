/**
 * Errors the rotation cannot recover from by retrying, and the redaction every error/log text goes through.
 */
import type { ConfigurationDetails } from './failures.js';

export type ConfigurationErrorCode =
  | 'ROLE_MISSING'
  | 'ROLE_CANNOT_LOGIN'
  | 'PERMISSION_DENIED'
  | 'BAD_TEMPLATE'
  | 'BAD_ROLE_NAME'
  | 'ADMIN_AUTH_FAILED'
  | 'SUPERUSER_ROLE'
  | 'CONNECTION_ROLE'
  | 'CONNECTION_MISSING'
  | 'INVALID_CONFIG'
  | (string & {});

/**
 * A problem only a human can fix (missing role, missing privilege, bad template, wrong admin password).
 * Retrying cannot help, so the workflow fails fast with `message` and, when we know it, the SQL in `fix`.
 *
 * Temporal matches non-retryable types by the error's `name`: list 'ConfigurationError' in
 * `nonRetryableErrorTypes` (or wrap it in `ApplicationFailure.nonRetryable`).
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  readonly nonRetryable = true as const;
  readonly code: ConfigurationErrorCode;
  readonly fix: string | undefined;
  /** The request field the user should change (e.g. `parameters.username2`), when one is to blame. */
  readonly field: string | undefined;

  /** `fix` may be given directly as a string, or with a `cause` and the `field` to blame as an options object. */
  constructor(code: ConfigurationErrorCode, message: string, fix?: string | { fix?: string; cause?: unknown; field?: string }) {
    const options = typeof fix === 'string' ? { fix } : fix;
    // Messages are built from server errors, which may quote our SQL; never let a literal through.
    super(redact(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fix = options?.fix;
    this.field = options?.field;
  }

  /** What crosses Temporal as the failure's details (see failures.ts); redact `fix` with the activity's secrets. */
  get details(): ConfigurationDetails {
    return { field: this.field ?? null, code: this.code, fix: this.fix ?? null };
  }
}

/** True for a ConfigurationError, also after it crossed a serialisation boundary (only the name survives). */
export function isConfigurationError(err: unknown): err is ConfigurationError {
  return err instanceof ConfigurationError || (err instanceof Error && err.name === 'ConfigurationError');
}

export const REDACTED = '[REDACTED]';
export const MAX_MESSAGE_LENGTH = 1024;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The spellings a secret takes in SQL literals, JSON and URLs, so that a quoted copy is caught too. */
function secretVariants(secret: string): string[] {
  const variants = new Set<string>([
    secret,
    secret.replace(/'/g, "''"),
    secret.replace(/\\/g, '\\\\').replace(/'/g, "''"),
    JSON.stringify(secret).slice(1, -1),
  ]);
  try {
    variants.add(encodeURIComponent(secret));
  } catch {
    // Lone surrogates cannot be URI-encoded; the other spellings still apply.
  }
  return [...variants].filter((v) => v !== '');
}

const PATTERNS: [RegExp, string][] = [
  // SCRAM verifiers (salt and keys are enough for an offline dictionary attack).
  [/SCRAM-SHA-256\$[A-Za-z0-9+/=:$]*/gi, REDACTED],
  // md5 verifiers as PostgreSQL stores them.
  [/\bmd5[0-9a-f]{32}\b/gi, REDACTED],
  // PASSWORD '…' / E'…' / $tag$…$tag$ in SQL; an unterminated literal (cut-off text) is redacted to the end.
  [/(\bPASSWORD\s+)(?:E'(?:[^'\\]|''|\\[\s\S])*(?:'|$)|'(?:[^']|'')*(?:'|$))/gi, `$1'${REDACTED}'`],
  [/(\bPASSWORD\s+)\$([A-Za-z_]\w*)?\$[\s\S]*?(?:\$\2\$|$)/gi, `$1'${REDACTED}'`],
  // scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@\s]*@/gi, `$1:${REDACTED}@`],
  // libpq key/value strings: password=secret or password='se cret'
  [/(\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s'"&;]+)/gi, `$1${REDACTED}`],
  // JSON: "password": "…"
  [/("password"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${REDACTED}"`],
];

/**
 * Removes secret material from text that may end up in a log, an error, workflow history or an API response:
 * every given secret (also as quoted in SQL/JSON/URLs), SCRAM/md5 verifiers, `PASSWORD '…'` literals,
 * URL and conninfo passwords. The result is at most 1024 characters (docs/design.md §4 lastRotationMessage).
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = String(text);
  // Longest first, so a secret that contains another is removed whole.
  const variants = secrets
    .filter((s) => typeof s === 'string' && s !== '')
    .flatMap(secretVariants)
    .sort((a, b) => b.length - a.length);
  for (const v of variants) {
    out = out.replace(new RegExp(escapeRegExp(v), 'g'), REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) {
    out = out.replace(pattern, replacement);
  }
  // Truncate after redacting: cutting first could leave an unrecognisable prefix of a secret behind.
  if (out.length > MAX_MESSAGE_LENGTH) {
    let cut = MAX_MESSAGE_LENGTH - 1;
    // Do not split a surrogate pair (an emoji in a role name) into invalid UTF-16.
    if (/[\ud800-\udbff]/.test(out.charAt(cut - 1))) cut--;
    out = `${out.slice(0, cut)}…`;
  }
  return out;
}
