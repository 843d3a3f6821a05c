/**
 * Rendering of rotation statements. Placeholders become complete, quoted SQL tokens produced by `pg`'s own
 * escaping — values are never pasted between quotes by hand.
 */
import pg from 'pg';
import { ConfigurationError } from './errors.js';
import { parseRotationStatement, utf8ByteLength, type Placeholder } from './rotation-schemas.js';

// The validator is pure and lives with the schemas so the workflow bundle can use it without importing `pg`.
export { validateRotationStatement } from './rotation-schemas.js';

export const DEFAULT_ROTATION_STATEMENT = 'ALTER ROLE {{username}} WITH PASSWORD {{password}}';

export interface RotationStatementValues {
  username: string;
  /** The SCRAM verifier (default), or the plaintext when the rotation opted into it. */
  password: string;
  /** Needed only when the template uses {{database}}. */
  database?: string;
}

function checkIdentifier(kind: string, value: string): void {
  // PostgreSQL silently truncates longer identifiers: "role_…(64 bytes)" would alter "role_…(63 bytes)".
  const bytes = utf8ByteLength(value);
  if (bytes < 1 || bytes > 63) {
    throw new ConfigurationError('BAD_ROLE_NAME', `${kind} must be 1 to 63 bytes in UTF-8 (got ${bytes})`);
  }
  // The protocol's query string is NUL-terminated; a NUL would cut the statement short.
  if (value.includes('\u0000')) throw new ConfigurationError('BAD_ROLE_NAME', `${kind} must not contain NUL`);
}

/**
 * Renders `template` for one role. Throws ConfigurationError('BAD_TEMPLATE') when the template is invalid,
 * so a template that slipped past validation (e.g. stored before a rule existed) never reaches the server.
 */
export function renderRotationStatement(template: string, values: RotationStatementValues): string {
  const parsed = parseRotationStatement(template);
  if ('error' in parsed) throw new ConfigurationError('BAD_TEMPLATE', `rotationStatement ${parsed.error}`);

  const render: Record<Placeholder, () => string> = {
    username: () => {
      checkIdentifier('username', values.username);
      return pg.escapeIdentifier(values.username);
    },
    password: () => {
      if (values.password === '' || values.password.includes('\u0000')) {
        throw new ConfigurationError('BAD_TEMPLATE', 'password value must be non-empty and contain no NUL');
      }
      return pg.escapeLiteral(values.password);
    },
    database: () => {
      if (values.database === undefined) {
        throw new ConfigurationError('BAD_TEMPLATE', 'rotationStatement uses {{database}} but no database is known');
      }
      checkIdentifier('database', values.database);
      return pg.escapeIdentifier(values.database);
    },
  };
  return parsed.segments.map((s) => (s.kind === 'text' ? s.text : render[s.name]())).join('');
}

/** `ALTER ROLE "<role>" WITH PASSWORD '<verifier>'` — the default statement. */
export function renderAlterRolePassword(role: string, verifier: string): string {
  return renderRotationStatement(DEFAULT_ROTATION_STATEMENT, { username: role, password: verifier });
}
