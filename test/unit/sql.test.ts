import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/domain/errors.js';
import {
  DEFAULT_ROTATION_STATEMENT,
  renderAlterRolePassword,
  renderRotationStatement,
  validateRotationStatement,
} from '../../src/domain/sql.js';

const VERIFIER = 'SCRAM-SHA-256$4096:qM4hBYthy6Xly9SGRr7lDA==$b7nZGoCcARK6uXcJeYCWjeP0pEyaq3XSIUbHWOhnbi8=:tB5/o9bVvOJig36iJDGx89mJA1/NYwX/Bft6MD/5So0=';
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('renderAlterRolePassword with hostile role names', () => {
  it.each([
    ['plain', 'app_user', '"app_user"'],
    ['upper case kept (no folding)', 'AppUser', '"AppUser"'],
    ['double quote', 'a"b', '"a""b"'],
    ['only a double quote', '"', '""""'],
    ['single quote', "it's", `"it's"`],
    ['two single quotes', "''", `"''"`],
    ['statement break-out', 'x; DROP TABLE t; --', '"x; DROP TABLE t; --"'],
    ['identifier break-out', 'x"; CREATE ROLE pwned; --', '"x""; CREATE ROLE pwned; --"'],
    ['comment start', '--', '"--"'],
    ['block comment', '/* x */', '"/* x */"'],
    ['spaces', ' with  spaces ', '" with  spaces "'],
    ['backslashes', 'back\\slash\\', '"back\\slash\\"'],
    ['dollar quoting', '$$a$$', '"$$a$$"'],
    ['a placeholder as the name is not re-expanded', '{{password}}', '"{{password}}"'],
    ['unicode', 'Ünïcödé_rôle', '"Ünïcödé_rôle"'],
    ['emoji', '🔑rotator', '"🔑rotator"'],
    ['exactly 63 bytes of 3-byte chars', '€'.repeat(21), `"${'€'.repeat(21)}"`],
    ['exactly 63 bytes with emoji', '🔑'.repeat(15) + 'abc', `"${'🔑'.repeat(15)}abc"`],
    ['exactly 63 ASCII bytes', 'r'.repeat(63), `"${'r'.repeat(63)}"`],
  ])('%s', (_name, role, quoted) => {
    expect(bytes(role)).toBeLessThanOrEqual(63);
    expect(renderAlterRolePassword(role, VERIFIER)).toBe(`ALTER ROLE ${quoted} WITH PASSWORD '${VERIFIER}'`);
  });

  it.each([
    ['64 bytes (3-byte chars + 1)', '€'.repeat(21) + 'a'],
    ['64 ASCII bytes', 'r'.repeat(64)],
    ['empty', ''],
    ['NUL', 'a\u0000b'],
  ])('refuses a role name that PostgreSQL would truncate or cut: %s', (_name, role) => {
    expect(() => renderAlterRolePassword(role, VERIFIER)).toThrow(ConfigurationError);
  });
});

describe('renderRotationStatement', () => {
  it.each([
    {
      name: 'plaintext with a quote',
      template: 'ALTER USER {{username}} PASSWORD {{password}}',
      values: { username: 'u', password: "pa'ss" },
      sql: `ALTER USER "u" PASSWORD 'pa''ss'`,
    },
    {
      name: 'plaintext with a backslash uses an E string',
      template: 'ALTER USER {{username}} PASSWORD {{password}}',
      values: { username: 'u', password: 'a\\b' },
      sql: `ALTER USER "u" PASSWORD  E'a\\\\b'`,
    },
    {
      name: 'a password that looks like a placeholder is not re-expanded',
      template: 'ALTER ROLE {{username}} PASSWORD {{password}}',
      values: { username: 'u', password: '{{username}}' },
      sql: `ALTER ROLE "u" PASSWORD '{{username}}'`,
    },
    {
      name: 'database, repeated placeholders, whitespace in braces, literals and comments kept',
      template:
        "SELECT rotate({{ username }}, {{password}}, {{database}}, 'x;y') -- {not a placeholder}\n/* c */ ;",
      values: { username: 'a"b', password: 'p', database: 'my db' },
      sql: `SELECT rotate("a""b", 'p', "my db", 'x;y') -- {not a placeholder}\n/* c */ ;`,
    },
    {
      name: 'the default statement',
      template: DEFAULT_ROTATION_STATEMENT,
      values: { username: 'x"; DROP ROLE y; --', password: VERIFIER },
      sql: `ALTER ROLE "x""; DROP ROLE y; --" WITH PASSWORD '${VERIFIER}'`,
    },
  ])('$name', ({ template, values, sql }) => {
    expect(renderRotationStatement(template, values)).toBe(sql);
  });

  it('refuses to render an invalid template', () => {
    expect(() => renderRotationStatement("ALTER ROLE {{username}} PASSWORD '{{password}}'", { username: 'u', password: 'p' }))
      .toThrow(/BAD_TEMPLATE|already-quoted/);
  });

  it('refuses {{database}} without a database', () => {
    expect(() => renderRotationStatement('SELECT f({{username}}, {{password}}, {{database}})', { username: 'u', password: 'p' }))
      .toThrow(ConfigurationError);
  });
});

describe('validateRotationStatement', () => {
  it.each([
    [DEFAULT_ROTATION_STATEMENT],
    ['ALTER ROLE {{username}} WITH PASSWORD {{password}};'],
    ['ALTER ROLE {{username}} WITH PASSWORD {{password}} ;  \n\t'],
    ['alter user {{username}} password {{password}}'],
    ['ALTER ROLE {{ username }} PASSWORD {{ password }}'],
    ["ALTER USER {{username}} PASSWORD {{password}} VALID UNTIL 'infinity'"],
    ["ALTER USER {{username}} PASSWORD {{password}} VALID UNTIL '2030-01-01;' -- semicolon in a literal is fine"],
    ['SELECT set_password({{username}}, {{password}}, {{database}})'],
    ['-- rotate\nALTER ROLE {{username}}\n  WITH PASSWORD {{password}}'],
    ['ALTER ROLE {{username}} /* nested /* comment */ ok */ PASSWORD {{password}}'],
    ['SELECT $$text with {braces}$$, f({{username}}, {{password}})'],
    ['ALTER ROLE {{username}} PASSWORD {{password}}' + ' '.repeat(2048 - 45)],
  ])('accepts %j', (template) => {
    expect(validateRotationStatement(template)).toBeNull();
  });

  it.each([
    ['', /must not be empty/],
    ['   ', /must not be empty/],
    ['ALTER ROLE {{username}} PASSWORD {{password}}' + ' '.repeat(2048 - 44), /at most 2048 characters/],
    ['ALTER ROLE {{user}} PASSWORD {{password}}', /unknown placeholder \{\{user\}\}/],
    ['ALTER ROLE {{username}} PASSWORD {{Password}}', /unknown placeholder \{\{Password\}\}/],
    ['ALTER ROLE {{username}} PASSWORD {{password}} {{ rolename }}', /unknown placeholder \{\{rolename\}\}/],
    ['ALTER ROLE {{username}} PASSWORD NULL', /must contain the placeholder \{\{password\}\}/],
    ['ALTER ROLE app PASSWORD {{password}}', /must contain the placeholder \{\{username\}\}/],
    ['ALTER ROLE "{{username}}" PASSWORD {{password}}', /double quotes.*already-quoted values/],
    ["ALTER ROLE {{username}} PASSWORD '{{password}}'", /single quotes.*already-quoted values/],
    ["ALTER ROLE {{username}} PASSWORD E'{{password}}'", /single quotes.*already-quoted values/],
    ["ALTER ROLE {{username}} PASSWORD 'x{{password}}y'", /single quotes/],
    ['ALTER ROLE {{username}} PASSWORD $${{password}}$$', /dollar-quoted/],
    ['ALTER ROLE {{username}} PASSWORD $tag${{password}}$tag$', /dollar-quoted/],
    ['ALTER ROLE {{username}} PASSWORD {{password}} -- {{database}}', /inside a comment/],
    ['ALTER ROLE {{username}} PASSWORD {{password}} /* {{password}} */', /inside a comment/],
    ['ALTER ROLE {{username}} PASSWORD {{password}}; DROP TABLE t', /single statement/],
    ['ALTER ROLE {{username}} PASSWORD {{password}};;', /single statement/],
    ['ALTER ROLE {{username}} PASSWORD {{password}}; -- trailing comment', /single statement/],
    ['ALTER ROLE {{username PASSWORD {{password}}', /unknown placeholder/],
    ['ALTER ROLE {{username}} PASSWORD {{password', /without a closing/],
    ["ALTER ROLE {{username}} PASSWORD {{password}} VALID UNTIL '2030", /unterminated string/],
    ['ALTER ROLE {{username}} PASSWORD {{password}} "x', /unterminated quoted identifier/],
    ['ALTER ROLE {{username}} PASSWORD {{password}} /* x', /unterminated \/\* comment/],
    ['ALTER ROLE {{username}} PASSWORD {{password}} $$x', /unterminated dollar-quoted/],
    ['ALTER ROLE {{username}} PASSWORD {{password}}\u0000', /control characters/],
    // E'' strings use backslash escapes: \' does not end the literal, so the placeholder is still inside it.
    ["ALTER ROLE {{username}} PASSWORD E'\\'{{password}}'", /single quotes/],
  ])('rejects %j', (template, why) => {
    expect(validateRotationStatement(template)).toMatch(why);
  });
});
