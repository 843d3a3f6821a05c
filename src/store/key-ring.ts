import { z } from 'zod';

/**
 * The root keys that seal secret material at rest, and the rules for configuring them. A ring is ordered: the first
 * key seals every new ciphertext, every key opens the ciphertexts recorded under its id (so an old key stays in the
 * ring until `pg-rotator keys re-encrypt` has moved everything to the new one).
 */
export interface RootKey {
  id: string;
  /** 32 bytes (AES-256). */
  material: Buffer;
}

export interface KeyRing {
  /** Never empty; keys[0] seals. */
  keys: readonly RootKey[];
  /** The variable the ring came from, for error messages. */
  variable: KeyRingVariable;
}

export type KeyRingVariable = 'ROTATOR_ENCRYPTION_KEYS' | 'ROTATOR_ENCRYPTION_KEY';

export const KEY_ID_RULE = 'must be 1-32 characters of a-z, 0-9, "_" and "-"';
const KEY_ID = /^[a-z0-9_-]{1,32}$/;

export function isKeyId(value: string): boolean {
  return KEY_ID.test(value);
}

/**
 * The id of the key ROTATOR_ENCRYPTION_KEY gives: a ring of one. Ciphertexts written before key ids existed
 * (envelope version 1) count as sealed under it, so that key keeps this id when it moves into a ring.
 */
export const SINGLE_KEY_ID = 'default';

const ENCRYPTION_KEY_HELP =
  'Set ROTATOR_ENCRYPTION_KEY to 32 random bytes in base64, e.g. `openssl rand -base64 32` ' +
  "or `node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"`. " +
  'Keep it outside the database: it decrypts every stored password.';

const RING_FORMAT = '<key id>:<base64 key>[,<key id>:<base64 key>…], newest first (e.g. k2:$(openssl rand -base64 32),k1:<the old key>)';

const base64 = z.union([z.base64(), z.base64url()]);

/** `where`: the variable, and the key id in a ring (`ROTATOR_ENCRYPTION_KEYS: key "k2"`). */
function decodeKey(value: string, where: string): Buffer {
  const make = 'make one with `openssl rand -base64 32`';
  if (!base64.safeParse(value).success) throw new Error(`${where} must be base64 of 32 random bytes; ${make}`);
  const material = Buffer.from(value, 'base64');
  if (material.length !== 32) throw new Error(`${where} must decode to 32 bytes, got ${material.length}; ${make}`);
  return material;
}

function parseRing(value: string): RootKey[] {
  const keys: RootKey[] = [];
  value.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    const colon = entry.indexOf(':');
    // Neither a malformed entry nor a malformed id is echoed: it may be (part of) a key.
    if (colon === -1) throw new Error(`ROTATOR_ENCRYPTION_KEYS: entry ${index + 1} must be <key id>:<base64 key>; the format is ${RING_FORMAT}`);
    const id = entry.slice(0, colon);
    if (!isKeyId(id)) throw new Error(`ROTATOR_ENCRYPTION_KEYS: the key id of entry ${index + 1} ${KEY_ID_RULE}`);
    if (keys.some((k) => k.id === id)) throw new Error(`ROTATOR_ENCRYPTION_KEYS: key id "${id}" appears more than once: each key needs its own id`);
    keys.push({ id, material: decodeKey(entry.slice(colon + 1).trim(), `ROTATOR_ENCRYPTION_KEYS: key "${id}"`) });
  });
  return keys;
}

/**
 * The key ring the environment configures, or undefined when it configures none (processes that need one say so
 * with `requireKeyRing`). ROTATOR_ENCRYPTION_KEYS is the ring; ROTATOR_ENCRYPTION_KEY alone is a ring of one key
 * with id `default`. An empty value counts as not set. A bad value throws, naming the variable, the key id when
 * known (never key material) and the rule.
 */
export function parseKeyRing(env: { ROTATOR_ENCRYPTION_KEYS?: string | undefined; ROTATOR_ENCRYPTION_KEY?: string | undefined }): KeyRing | undefined {
  const ring = env.ROTATOR_ENCRYPTION_KEYS?.trim();
  const single = env.ROTATOR_ENCRYPTION_KEY?.trim();
  if (ring && single) {
    throw new Error(
      `ROTATOR_ENCRYPTION_KEYS and ROTATOR_ENCRYPTION_KEY are both set: set only one (to keep the single key in a ring, list it as ${SINGLE_KEY_ID}:<key> in ROTATOR_ENCRYPTION_KEYS)`,
    );
  }
  if (ring) return { keys: parseRing(ring), variable: 'ROTATOR_ENCRYPTION_KEYS' };
  if (single) return { keys: [{ id: SINGLE_KEY_ID, material: decodeKey(single, 'ROTATOR_ENCRYPTION_KEY:') }], variable: 'ROTATOR_ENCRYPTION_KEY' };
  return undefined;
}

/** The ring, for processes that read or write secret material: without one they refuse to start. */
export function requireKeyRing(ring: KeyRing | undefined): KeyRing {
  if (!ring) throw new Error(`ROTATOR_ENCRYPTION_KEY is not set (nor ROTATOR_ENCRYPTION_KEYS). ${ENCRYPTION_KEY_HELP}`);
  return ring;
}
