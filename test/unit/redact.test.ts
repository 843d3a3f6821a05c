import { describe, expect, it } from 'vitest';
import { ConfigurationError, isConfigurationError, redact, REDACTED } from '../../src/domain/errors.js';

const V = 'SCRAM-SHA-256$4096:qM4hBYthy6Xly9SGRr7lDA==$b7nZGoCcARK6uXcJeYCWjeP0pEyaq3XSIUbHWOhnbi8=:tB5/o9bVvOJig36iJDGx89mJA1/NYwX/Bft6MD/5So0=';

describe('redact', () => {
  it.each([
    { name: 'no secrets: unchanged', text: 'role "app" does not exist', secrets: [], out: 'role "app" does not exist' },
    { name: 'a given secret, every occurrence', text: 'pw=Zq9x and again Zq9x.', secrets: ['Zq9x'], out: `pw=${REDACTED} and again ${REDACTED}.` },
    { name: 'longest secret first', text: 'abc-def', secrets: ['abc', 'abc-def'], out: REDACTED },
    { name: 'regex metacharacters in a secret', text: 'x a.b*c(d)[e]$ y', secrets: ['a.b*c(d)[e]$'], out: `x ${REDACTED} y` },
    { name: 'secret as a SQL literal with doubled quotes', text: "value 'it''s' here", secrets: ["it's"], out: `value '${REDACTED}' here` },
    { name: 'secret as a JSON string', text: '{"v":"a\\"b"}', secrets: ['a"b'], out: `{"v":"${REDACTED}"}` },
    { name: 'secret URL-encoded', text: 'host?x=a%2Fb', secrets: ['a/b'], out: `host?x=${REDACTED}` },
    { name: 'empty secrets ignored', text: 'keep me', secrets: [''], out: 'keep me' },
    { name: 'SCRAM verifier', text: `ALTER ROLE "u" PASSWORD ${V}`, secrets: [], out: `ALTER ROLE "u" PASSWORD ${REDACTED}` },
    { name: 'SCRAM verifier, lower case', text: `got scram-sha-256$4096:abc=$def=:ghi= back`, secrets: [], out: `got ${REDACTED} back` },
    { name: 'md5 verifier', text: 'md5' + 'a1'.repeat(16), secrets: [], out: REDACTED },
    { name: "PASSWORD '…'", text: `ALTER ROLE "u" WITH PASSWORD 'hunter2'`, secrets: [], out: `ALTER ROLE "u" WITH PASSWORD '${REDACTED}'` },
    { name: 'password literal, any case', text: `alter user u password 'hunter2' valid until 'infinity'`, secrets: [], out: `alter user u password '${REDACTED}' valid until 'infinity'` },
    { name: 'doubled quotes inside the literal', text: `PASSWORD 'it''s; secret' VALID UNTIL 'x'`, secrets: [], out: `PASSWORD '${REDACTED}' VALID UNTIL 'x'` },
    { name: 'E string with backslash escapes', text: `PASSWORD  E'a\\\\b\\'c' LOGIN`, secrets: [], out: `PASSWORD  '${REDACTED}' LOGIN` },
    { name: 'dollar-quoted password', text: 'PASSWORD $q$s3cr3t$q$ LOGIN', secrets: [], out: `PASSWORD '${REDACTED}' LOGIN` },
    { name: 'unterminated literal (cut-off text)', text: `syntax error at PASSWORD 'hunter2 and more`, secrets: [], out: `syntax error at PASSWORD '${REDACTED}'` },
    { name: 'ENCRYPTED PASSWORD', text: `CREATE USER a WITH ENCRYPTED PASSWORD 'temporary_password'`, secrets: [], out: `CREATE USER a WITH ENCRYPTED PASSWORD '${REDACTED}'` },
    { name: 'PASSWORD NULL is not a secret', text: 'ALTER ROLE a PASSWORD NULL', secrets: [], out: 'ALTER ROLE a PASSWORD NULL' },
    { name: 'postgres URL password', text: 'connect postgres://admin:s3cr3t@db:5432/app failed', secrets: [], out: `connect postgres://admin:${REDACTED}@db:5432/app failed` },
    { name: 'postgresql URL password with encoded chars', text: 'postgresql://a:p%40ss%2F@h/d', secrets: [], out: `postgresql://a:${REDACTED}@h/d` },
    { name: 'URL without password unchanged', text: 'postgres://admin@db:5432/app', secrets: [], out: 'postgres://admin@db:5432/app' },
    { name: 'conninfo password=', text: 'host=db user=a password=s3cr3t dbname=x', secrets: [], out: `host=db user=a password=${REDACTED} dbname=x` },
    { name: 'conninfo quoted password', text: "password='s3 cr3t' host=db", secrets: [], out: `password=${REDACTED} host=db` },
    { name: 'JSON password field', text: '{"user":"a","password":"s\\"3"}', secrets: [], out: `{"user":"a","password":"${REDACTED}"}` },
  ])('$name', ({ text, secrets, out }) => {
    expect(redact(text, secrets)).toBe(out);
  });

  it.each([
    ['exactly 1024', 'a'.repeat(1024), 1024, false],
    ['1025 → truncated', 'a'.repeat(1025), 1024, true],
    ['very long', 'b'.repeat(100_000), 1024, true],
  ])('truncates to 1024 characters: %s', (_name, text, max, truncated) => {
    const out = redact(text);
    expect(out.length).toBeLessThanOrEqual(max);
    expect(out.endsWith('…')).toBe(truncated);
  });

  it('redacts before truncating, so a secret across the cut is not half-kept', () => {
    const secret = 'S'.repeat(40);
    const out = redact('x'.repeat(1000) + secret, [secret]);
    expect(out).toBe('x'.repeat(1000) + REDACTED);
    expect(out).not.toContain('SSS');
  });

  it('does not split a surrogate pair when truncating', () => {
    const out = redact('a'.repeat(1022) + '🔑'.repeat(10));
    expect(out.length).toBeLessThanOrEqual(1024);
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('ConfigurationError', () => {
  it.each([
    ['fix as a string', 'GRANT x TO y;', 'GRANT x TO y;'],
    ['fix in options', { fix: 'ALTER ROLE a LOGIN;' }, 'ALTER ROLE a LOGIN;'],
    ['no fix', undefined, undefined],
  ])('carries code and %s', (_name, fix, expected) => {
    const e = new ConfigurationError('ROLE_MISSING', 'role "a" does not exist', fix);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ConfigurationError');
    expect(e.code).toBe('ROLE_MISSING');
    expect(e.nonRetryable).toBe(true);
    expect(e.fix).toBe(expected);
    expect(isConfigurationError(e)).toBe(true);
  });

  it('redacts its message', () => {
    const e = new ConfigurationError('BAD_TEMPLATE', `syntax error in ALTER ROLE "a" PASSWORD 'hunter2'`);
    expect(e.message).not.toContain('hunter2');
  });

  it('is recognised by name after serialisation', () => {
    const e = Object.assign(new Error('x'), { name: 'ConfigurationError' });
    expect(isConfigurationError(e)).toBe(true);
    expect(isConfigurationError(new Error('x'))).toBe(false);
  });
});
