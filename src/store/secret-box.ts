import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const ENCRYPTION_KEY_HELP =
  'Set ROTATOR_ENCRYPTION_KEY to 32 random bytes in base64, e.g. `openssl rand -base64 32` ' +
  "or `node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"`. " +
  'Keep it outside the database: it decrypts every stored password.';

/**
 * AES-256-GCM envelope for secret material at rest. The associated data binds each ciphertext to the row
 * it belongs to, so a ciphertext copied into another row (another rotation, slot or secret) fails to open.
 * Layout: version(1) | iv(12) | tag(16) | ciphertext.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`encryption key must be 32 bytes, got ${key.length}. ${ENCRYPTION_KEY_HELP}`);
    this.key = key;
  }

  static fromBase64(value: string | undefined): SecretBox {
    if (!value) throw new Error(`ROTATOR_ENCRYPTION_KEY is not set. ${ENCRYPTION_KEY_HELP}`);
    const key = Buffer.from(value.trim(), 'base64');
    if (key.length !== 32) {
      throw new Error(`ROTATOR_ENCRYPTION_KEY must decode to 32 bytes, got ${key.length}. ${ENCRYPTION_KEY_HELP}`);
    }
    return new SecretBox(key);
  }

  seal(plaintext: string, aad: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, aad: string): string {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new Error('stored secret has an unknown format');
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      // Never echo key or ciphertext details: a wrong key and a tampered row look the same here.
      throw new Error('stored secret could not be decrypted (wrong ROTATOR_ENCRYPTION_KEY, or the row was altered)');
    }
  }
}

export const aad = {
  connectionPassword: (connectionId: string) => `connection:${connectionId}`,
  credential: (rotationId: string, slot: number, generation: number) => `credential:${rotationId}:${slot}:${generation}`,
  secretVersion: (secretId: string, version: number) => `secret:${secretId}:${version}`,
};
