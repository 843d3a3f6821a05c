import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  parseScramVerifier,
  scramSha256Verifier,
  scramVerifierMatches,
  SCRAM_DEFAULT_ITERATIONS,
} from '../../src/domain/scram.js';

/**
 * Vectors produced by PostgreSQL 15 itself:
 *   SET password_encryption = 'scram-sha-256'; CREATE ROLE tmp_x PASSWORD '…';
 *   SELECT rolpassword FROM pg_authid WHERE rolname = 'tmp_x';
 * We recompute each with the server's salt and iteration count.
 */
const POSTGRES_VECTORS = [
  [
    'pencil',
    'SCRAM-SHA-256$4096:qM4hBYthy6Xly9SGRr7lDA==$b7nZGoCcARK6uXcJeYCWjeP0pEyaq3XSIUbHWOhnbi8=:tB5/o9bVvOJig36iJDGx89mJA1/NYwX/Bft6MD/5So0=',
  ],
  [
    'Xy7-_.~!*Qz',
    'SCRAM-SHA-256$4096:YU2jx5eMlt8OOjAlXWdgTQ==$JKXR0H4lP5Jzbtq2EdMY9CORlTqB6S0WMH1/XYU2Big=:fdac1+f75sCLFAveeT/+hNAQBpkDH19KGxu62rM0y9Q=',
  ],
  [
    `a b'c\\d"{}`,
    'SCRAM-SHA-256$4096:Z9ThSZ7KeTs11jM5INl0yw==$16JyY72iuD5Gf5+VsFqpiYWZje2UKI9dEyDIEHKTlqo=:i4gtgh9lwfDh9/3bwn7RBRVhbBzBFXC3RW1wmqzZv2Q=',
  ],
] as const;

describe('scramSha256Verifier', () => {
  it.each(POSTGRES_VECTORS)('matches PostgreSQL for %j', (password, expected) => {
    const parts = parseScramVerifier(expected)!;
    expect(scramSha256Verifier(password, { salt: parts.salt, iterations: parts.iterations })).toBe(expected);
    expect(scramVerifierMatches(password, expected)).toBe(true);
    expect(scramVerifierMatches(password + 'x', expected)).toBe(false);
  });

  it('with one iteration equals an independent HMAC computation (PBKDF2 with c = 1 is one HMAC)', () => {
    const salt = Buffer.from('0123456789abcdef');
    const salted = createHmac('sha256', 'pencil').update(Buffer.concat([salt, Buffer.from([0, 0, 0, 1])])).digest();
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    expect(scramSha256Verifier('pencil', { salt, iterations: 1 })).toBe(
      `SCRAM-SHA-256$1:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`,
    );
  });

  it('defaults: 4096 iterations, a fresh 16-byte salt each time, PostgreSQL format', () => {
    const a = scramSha256Verifier('pencil');
    const b = scramSha256Verifier('pencil');
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    const pa = parseScramVerifier(a)!;
    expect(pa.iterations).toBe(SCRAM_DEFAULT_ITERATIONS);
    expect(pa.salt).toHaveLength(16);
    expect(pa.storedKey).toHaveLength(32);
    expect(pa.serverKey).toHaveLength(32);
    expect(a).not.toContain('pencil');
  });

  it.each([
    ['non-ASCII', 'pässword'],
    ['emoji', 'pw🔑'],
    ['control character', 'pw\n'],
    ['NUL', 'pw\u0000'],
    ['DEL', 'pw\u007f'],
    ['non-ASCII space (SASLprep would map it)', 'pw\u00a0x'],
    ['empty', ''],
  ])('refuses %s input rather than computing a verifier PostgreSQL would not match', (_name, password) => {
    expect(() => scramSha256Verifier(password)).toThrow(/printable ASCII|empty/);
  });

  it.each([[0], [-1], [1.5], [Number.NaN]])('refuses iterations = %s', (iterations) => {
    expect(() => scramSha256Verifier('pencil', { iterations })).toThrow(/iterations/);
  });

  it('refuses an empty salt', () => {
    expect(() => scramSha256Verifier('pencil', { salt: Buffer.alloc(0) })).toThrow(/salt/);
  });
});

describe('parseScramVerifier', () => {
  it.each([
    ['md5 verifier', 'md5' + '0'.repeat(32)],
    ['plaintext', 'pencil'],
    ['missing server key', 'SCRAM-SHA-256$4096:qM4hBYthy6Xly9SGRr7lDA==$b7nZGoCcARK6uXcJeYCWjeP0pEyaq3XSIUbHWOhnbi8='],
    ['short keys', 'SCRAM-SHA-256$4096:qM4hBYthy6Xly9SGRr7lDA==$AAAA:AAAA'],
    ['zero iterations', 'SCRAM-SHA-256$0:qM4hBYthy6Xly9SGRr7lDA==$b7nZGoCcARK6uXcJeYCWjeP0pEyaq3XSIUbHWOhnbi8=:tB5/o9bVvOJig36iJDGx89mJA1/NYwX/Bft6MD/5So0='],
  ])('returns null for %s', (_name, v) => {
    expect(parseScramVerifier(v)).toBeNull();
    expect(scramVerifierMatches('pencil', v)).toBe(false);
  });
});
