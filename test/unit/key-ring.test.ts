import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { devEnvFile, loadDevEnv } from '../../src/cli/runtime.js';
import { loadConfig } from '../../src/config.js';
import { reencryptOptionsSchema } from '../../src/domain/key-schemas.js';
import { type KeyRing, parseKeyRing, requireKeyRing } from '../../src/store/key-ring.js';
import { MissingRootKeyError, SecretBox } from '../../src/store/secret-box.js';

const newKey = () => randomBytes(32).toString('base64');
const K1 = newKey();
const K2 = newKey();

function ring(value: string): KeyRing {
  return parseKeyRing({ ROTATOR_ENCRYPTION_KEYS: value })!;
}

function parseError(env: Record<string, string>): string {
  try {
    parseKeyRing(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the ring to be refused');
}

/** A ciphertext as the single-key code wrote it before key ids existed: 1 | iv | tag | ciphertext. */
function sealV1(key: string, plaintext: string, aad: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]);
}

describe('parseKeyRing', () => {
  it('reads an ordered ring of id:key entries, the first one current', () => {
    const r = ring(` k2:${K2} , k1:${K1}`);
    expect(r.variable).toBe('ROTATOR_ENCRYPTION_KEYS');
    expect(r.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(r.keys[0]!.material.equals(Buffer.from(K2, 'base64'))).toBe(true);
    expect(r.keys[1]!.material.equals(Buffer.from(K1, 'base64'))).toBe(true);
  });

  it('takes ROTATOR_ENCRYPTION_KEY alone as a ring of one key with id "default"; neither set (or empty) is no ring', () => {
    const r = parseKeyRing({ ROTATOR_ENCRYPTION_KEY: K1 })!;
    expect(r.variable).toBe('ROTATOR_ENCRYPTION_KEY');
    expect(r.keys.map((k) => k.id)).toEqual(['default']);
    expect(parseKeyRing({})).toBeUndefined();
    expect(parseKeyRing({ ROTATOR_ENCRYPTION_KEYS: ' ', ROTATOR_ENCRYPTION_KEY: '' })).toBeUndefined();
    expect(parseKeyRing({ ROTATOR_ENCRYPTION_KEYS: '', ROTATOR_ENCRYPTION_KEY: K1 })!.variable).toBe('ROTATOR_ENCRYPTION_KEY');
    expect(() => requireKeyRing(undefined)).toThrow(/ROTATOR_ENCRYPTION_KEY is not set \(nor ROTATOR_ENCRYPTION_KEYS\).*openssl rand -base64 32/);
  });

  it.each([
    ['both variables set', { ROTATOR_ENCRYPTION_KEYS: `k1:${K1}`, ROTATOR_ENCRYPTION_KEY: K2 }, /ROTATOR_ENCRYPTION_KEYS and ROTATOR_ENCRYPTION_KEY are both set: set only one/],
    ['a duplicate id', { ROTATOR_ENCRYPTION_KEYS: `k1:${K1},k1:${K2}` }, /^ROTATOR_ENCRYPTION_KEYS: key id "k1" appears more than once/],
    ['bad base64', { ROTATOR_ENCRYPTION_KEYS: `k2:${K2},k1:not*base64!` }, /^ROTATOR_ENCRYPTION_KEYS: key "k1" must be base64 of 32 random bytes/],
    ['a short key', { ROTATOR_ENCRYPTION_KEYS: `k1:${randomBytes(16).toString('base64')}` }, /^ROTATOR_ENCRYPTION_KEYS: key "k1" must decode to 32 bytes, got 16; make one with `openssl rand -base64 32`/],
    ['a long single key', { ROTATOR_ENCRYPTION_KEY: randomBytes(48).toString('base64') }, /^ROTATOR_ENCRYPTION_KEY: must decode to 32 bytes, got 48/],
    ['an entry without an id', { ROTATOR_ENCRYPTION_KEYS: `k2:${K2},${K1}` }, /^ROTATOR_ENCRYPTION_KEYS: entry 2 must be <key id>:<base64 key>/],
    ['an id with capitals', { ROTATOR_ENCRYPTION_KEYS: `Key1:${K1}` }, /^ROTATOR_ENCRYPTION_KEYS: the key id of entry 1 must be 1-32 characters of a-z, 0-9, "_" and "-"/],
    ['an id of 33 characters', { ROTATOR_ENCRYPTION_KEYS: `${'a'.repeat(33)}:${K1}` }, /the key id of entry 1 must be 1-32 characters/],
    ['an empty entry', { ROTATOR_ENCRYPTION_KEYS: `k1:${K1},` }, /^ROTATOR_ENCRYPTION_KEYS: entry 2 must be <key id>:<base64 key>/],
  ])('refuses %s, naming the variable, the key id and the rule', (_label, env, message) => {
    const text = parseError(env);
    expect(text).toMatch(message);
    for (const key of [K1, K2]) expect(text).not.toContain(key);
  });

  it('never echoes a malformed id, which may be a key put in the wrong place', () => {
    const text = parseError({ ROTATOR_ENCRYPTION_KEYS: `${K1}:k1` });
    expect(text).toMatch(/the key id of entry 1/);
    expect(text).not.toContain(K1);
    expect(text).not.toContain(K1.slice(0, 20));
  });

  it('reaches loadConfig as an invalid environment, and the parsed ring is the config', () => {
    expect(() => loadConfig({ ROTATOR_ENCRYPTION_KEYS: `k1:${K1}`, ROTATOR_ENCRYPTION_KEY: K2 })).toThrow(
      /^invalid environment: ROTATOR_ENCRYPTION_KEYS and ROTATOR_ENCRYPTION_KEY are both set/,
    );
    expect(loadConfig({ ROTATOR_ENCRYPTION_KEYS: `k2:${K2},k1:${K1}` }).keyRing!.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(loadConfig({}).keyRing).toBeUndefined();
  });
});

describe('SecretBox envelopes', () => {
  const AAD = 'secret:row-1:1';

  it('seals under the first key of the ring, recording its id in a version 2 header, and opens with any ring holding it', () => {
    const sealed = new SecretBox(ring(`k2:${K2},k1:${K1}`)).seal('hunter2', AAD);
    expect(sealed[0]).toBe(2);
    expect(sealed[1]).toBe(2);
    expect(sealed.subarray(2, 4).toString('latin1')).toBe('k2');
    expect(new SecretBox(ring(`k3:${newKey()},k2:${K2}`)).open(sealed, AAD)).toBe('hunter2');
    expect(new SecretBox(ring(`k2:${K2}`)).currentKeyId).toBe('k2');
  });

  it('opens version 1 ciphertexts (the single-key format) with the key now called "default", in a ring or alone', () => {
    const old = sealV1(K1, 'from-before-key-ids', AAD);
    expect(new SecretBox(parseKeyRing({ ROTATOR_ENCRYPTION_KEY: K1 })!).open(old, AAD)).toBe('from-before-key-ids');
    expect(new SecretBox(ring(`k2:${K2},default:${K1}`)).open(old, AAD)).toBe('from-before-key-ids');
    // Wrong associated data (another row) fails, as it did before.
    expect(() => new SecretBox(ring(`default:${K1}`)).open(old, 'secret:row-2:1')).toThrow(/could not be decrypted with root key "default"/);
  });

  it('names the missing key id (and the ring) when the ring does not hold the key a ciphertext was sealed with; never key material', () => {
    const sealed = new SecretBox(ring(`k1:${K1}`)).seal('hunter2', AAD);
    const box = new SecretBox(ring(`k2:${K2}`));
    let error: unknown;
    try {
      box.open(sealed, AAD);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MissingRootKeyError);
    expect((error as MissingRootKeyError).keyId).toBe('k1');
    const message = (error as Error).message;
    expect(message).toMatch(/sealed with root key "k1", which is not in the key ring \(ROTATOR_ENCRYPTION_KEYS holds "k2"\)/);
    for (const key of [K1, K2]) expect(message).not.toContain(key);
    expect(message).not.toContain('hunter2');
    // A v1 ciphertext in a ring without "default".
    expect(() => box.open(sealV1(K1, 'x', AAD), AAD)).toThrow(/sealed with root key "default"/);
  });

  it('refuses a tampered ciphertext, a tampered header, a moved ciphertext and a different key under the same id', () => {
    const box = new SecretBox(ring(`k2:${K2},k1:${K1}`));
    const sealed = box.seal('hunter2', AAD);
    const flip = (i: number) => {
      const copy = Buffer.from(sealed);
      copy[i] = copy[i]! ^ 0x01;
      return copy;
    };
    expect(() => box.open(flip(sealed.length - 1), AAD)).toThrow(/could not be decrypted with root key "k2"/);
    expect(() => box.open(flip(4 + 3), AAD)).toThrow(/could not be decrypted/); // the IV
    // Relabelled as sealed under k1 (also in the ring): the header is authenticated, so it does not open.
    const relabelled = Buffer.from(sealed);
    relabelled.write('k1', 2, 'latin1');
    expect(() => box.open(relabelled, AAD)).toThrow(/could not be decrypted with root key "k1"/);
    expect(() => box.open(sealed, 'secret:row-2:1')).toThrow(/could not be decrypted/);
    expect(() => new SecretBox(ring(`k2:${newKey()}`)).open(sealed, AAD)).toThrow(/could not be decrypted with root key "k2"/);
    // Unknown versions, truncated envelopes and ids that are no key id.
    expect(() => box.open(Buffer.from([3, ...sealed.subarray(1)]), AAD)).toThrow(/unknown format/);
    expect(() => box.open(sealed.subarray(0, 20), AAD)).toThrow(/unknown format/);
    const badId = Buffer.from(sealed);
    badId.write('K\n', 2, 'latin1');
    expect(() => box.open(badId, AAD)).toThrow(/unknown format/);
  });
});

describe('reencryptOptionsSchema', () => {
  it('defaults the batch size, and names the rule for a bad one', () => {
    expect(reencryptOptionsSchema.parse({})).toEqual({ batchSize: 100 });
    expect(reencryptOptionsSchema.parse({ batchSize: '1', maxBatches: '2' })).toEqual({ batchSize: 1, maxBatches: 2 });
    for (const bad of ['0', '1.5', 'x', '10001']) {
      const r = reencryptOptionsSchema.safeParse({ batchSize: bad });
      expect(r.success, bad).toBe(false);
      expect(r.error!.issues[0]!.message).toMatch(/must be (a number|an integer of 1–10000)/);
    }
  });
});

describe('the dev env file and the root-key variables', () => {
  it.each([
    ['a ring', 'ROTATOR_ENCRYPTION_KEYS', `k2:${K2}`, 'ROTATOR_ENCRYPTION_KEY', `ROTATOR_ENCRYPTION_KEY=${K1}`],
    ['a single key', 'ROTATOR_ENCRYPTION_KEY', K2, 'ROTATOR_ENCRYPTION_KEYS', `ROTATOR_ENCRYPTION_KEYS=default:${K1}`],
  ])('%s set in the environment keeps the file’s other root-key variable out (both set would be refused)', async (_label, mine, value, theirs, line) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-keys-env-'));
    vi.stubEnv('ROTATOR_DATA_DIR', dir);
    vi.stubEnv('ROTATOR_ENCRYPTION_KEYS', undefined);
    vi.stubEnv('ROTATOR_ENCRYPTION_KEY', undefined);
    vi.stubEnv(mine, value);
    try {
      await mkdir(path.join(dir, 'dev'));
      await writeFile(devEnvFile(), `${line}\nPG_ROTATOR_TEST_FROM_FILE=yes\n`);
      expect(loadDevEnv()).toBe(devEnvFile());
      expect(process.env.PG_ROTATOR_TEST_FROM_FILE).toBe('yes');
      expect(process.env[mine]).toBe(value);
      expect(process.env[theirs]).toBeUndefined();
      expect(loadConfig(process.env).keyRing!.keys[0]!.material.equals(Buffer.from(K2, 'base64'))).toBe(true);
    } finally {
      delete process.env.PG_ROTATOR_TEST_FROM_FILE;
      delete process.env[theirs];
      vi.unstubAllEnvs();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
