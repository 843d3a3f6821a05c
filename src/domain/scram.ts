/**
 * SCRAM-SHA-256 verifiers exactly as PostgreSQL stores them in pg_authid.rolpassword (RFC 5802 / RFC 7677):
 *   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 * Sending the verifier in ALTER ROLE keeps the plaintext off the server and out of its statement log.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_DEFAULT_ITERATIONS = 4096; // PostgreSQL's scram_iterations default
export const SCRAM_SALT_BYTES = 16; // PostgreSQL's SCRAM_DEFAULT_SALT_LEN

/**
 * PostgreSQL SASLpreps the password before hashing. SASLprep is the identity on printable ASCII (0x20–0x7E),
 * which is all our generator produces, so we refuse anything else instead of shipping a verifier that might
 * not match what the server computes at login.
 */
function assertPrintableAscii(password: string): void {
  if (password.length === 0) throw new Error('SCRAM verifier: password must not be empty');
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new Error(
        `SCRAM verifier: password character at index ${i} is not printable ASCII; ` +
          'SASLprep is not implemented, so only printable ASCII passwords are supported',
      );
    }
  }
}

function keys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return { storedKey, serverKey };
}

export function scramSha256Verifier(password: string, opts: { salt?: Buffer; iterations?: number } = {}): string {
  assertPrintableAscii(password);
  const iterations = opts.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new Error('SCRAM verifier: iterations must be a positive integer');
  }
  const salt = opts.salt ?? randomBytes(SCRAM_SALT_BYTES);
  if (salt.length === 0) throw new Error('SCRAM verifier: salt must not be empty');
  const { storedKey, serverKey } = keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export interface ScramVerifierParts {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/;

/** Parses a stored verifier; null when it is not a well-formed SCRAM-SHA-256 verifier. */
export function parseScramVerifier(verifier: string): ScramVerifierParts | null {
  const m = VERIFIER.exec(verifier);
  if (!m) return null;
  const iterations = Number(m[1]);
  const storedKey = Buffer.from(m[3] as string, 'base64');
  const serverKey = Buffer.from(m[4] as string, 'base64');
  if (!Number.isSafeInteger(iterations) || iterations < 1 || storedKey.length !== 32 || serverKey.length !== 32) {
    return null;
  }
  return { iterations, salt: Buffer.from(m[2] as string, 'base64'), storedKey, serverKey };
}

/** Whether `password` matches a stored verifier (e.g. to tell if a role already has the staged password). */
export function scramVerifierMatches(password: string, verifier: string): boolean {
  const parts = parseScramVerifier(verifier);
  if (!parts) return false;
  assertPrintableAscii(password);
  const { storedKey, serverKey } = keys(password, parts.salt, parts.iterations);
  return timingSafeEqual(storedKey, parts.storedKey) && timingSafeEqual(serverKey, parts.serverKey);
}
