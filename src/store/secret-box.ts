import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { isKeyId, type KeyRing, type RootKey, SINGLE_KEY_ID } from './key-ring.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Written before key ids existed (sealed under the key now called `default`): opened, never written. */
const V1 = 1;
const V2 = 2;

/** A ciphertext sealed under a key id the ring does not hold. Names the id, never key material. */
export class MissingRootKeyError extends Error {
  override readonly name = 'MissingRootKeyError';
  constructor(
    readonly keyId: string,
    ring: KeyRing,
  ) {
    super(
      `stored secret is sealed with root key "${keyId}", which is not in the key ring (${ring.variable} holds ${ring.keys.map((k) => `"${k.id}"`).join(', ')}): ` +
        `add that key back to ${ring.variable}, after the current one (\`pg-rotator keys status\` counts what each key id seals)`,
    );
  }
}

interface Envelope {
  keyId: string;
  /** Bytes before the IV; v2 authenticates them with the row's associated data. */
  header: Buffer;
  iv: Buffer;
  tag: Buffer;
  body: Buffer;
}

function parseEnvelope(sealed: Buffer): Envelope {
  const unknown = new Error('stored secret has an unknown format');
  let headerLength: number;
  let keyId: string;
  if (sealed[0] === V1) {
    headerLength = 1;
    keyId = SINGLE_KEY_ID;
  } else if (sealed[0] === V2 && sealed.length >= 2) {
    headerLength = 2 + sealed[1]!;
    keyId = sealed.subarray(2, headerLength).toString('latin1');
  } else {
    throw unknown;
  }
  if (sealed.length < headerLength + IV_BYTES + TAG_BYTES || !isKeyId(keyId)) throw unknown;
  const ivEnd = headerLength + IV_BYTES;
  return {
    keyId,
    header: sealed.subarray(0, headerLength),
    iv: sealed.subarray(headerLength, ivEnd),
    tag: sealed.subarray(ivEnd, ivEnd + TAG_BYTES),
    body: sealed.subarray(ivEnd + TAG_BYTES),
  };
}

/**
 * AES-256-GCM envelope for secret material at rest, under a ring of root keys. The associated data binds each
 * ciphertext to the row it belongs to, so a ciphertext copied into another row (another rotation, slot or secret)
 * fails to open.
 * Layout v2 (written): 2 | id length (1) | key id (ASCII) | iv (12) | tag (16) | ciphertext; the header is
 * authenticated too. Layout v1 (read only): 1 | iv | tag | ciphertext, under key `default`.
 * The control database derives each row's key id from these bytes (migration 1732900000000_key-ids): keep them in step.
 */
export class SecretBox {
  private readonly current: RootKey;
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(readonly ring: KeyRing) {
    this.current = ring.keys[0]!;
    this.byId = new Map(ring.keys.map((k) => [k.id, k.material]));
  }

  /** The id of the key new ciphertexts are sealed under. */
  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plaintext: string, aad: string): Buffer {
    const id = Buffer.from(this.current.id, 'latin1');
    const header = Buffer.concat([Buffer.from([V2, id.length]), id]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.material, iv);
    cipher.setAAD(Buffer.concat([header, Buffer.from(aad, 'utf8')]));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, aad: string): string {
    const envelope = parseEnvelope(sealed);
    const key = this.byId.get(envelope.keyId);
    if (!key) throw new MissingRootKeyError(envelope.keyId, this.ring);
    const decipher = createDecipheriv('aes-256-gcm', key, envelope.iv);
    // v1 authenticated the row's associated data alone.
    decipher.setAAD(envelope.header[0] === V1 ? Buffer.from(aad, 'utf8') : Buffer.concat([envelope.header, Buffer.from(aad, 'utf8')]));
    decipher.setAuthTag(envelope.tag);
    try {
      return Buffer.concat([decipher.update(envelope.body), decipher.final()]).toString('utf8');
    } catch {
      // Never echo key or ciphertext details: a wrong key and a tampered row look the same here.
      throw new Error(`stored secret could not be decrypted with root key "${envelope.keyId}" (a different key under that id in ${this.ring.variable}, or the row was altered)`);
    }
  }
}

export const aad = {
  connectionPassword: (connectionId: string) => `connection:${connectionId}`,
  credential: (rotationId: string, slot: number, generation: number) => `credential:${rotationId}:${slot}:${generation}`,
  secretVersion: (secretId: string, version: number) => `secret:${secretId}:${version}`,
};
