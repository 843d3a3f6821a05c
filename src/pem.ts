import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Checks of certificate and key files named by settings (TLS to Temporal, HTTPS for the API). Messages name the
 * setting and the rule, never the content: a key file's bytes must not reach a log.
 */
export class SettingError extends Error {
  constructor(setting: string, rule: string) {
    super(`${setting}: ${rule}`);
  }
}

export function readSettingFile(setting: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new SettingError(setting, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function parseCertificate(setting: string, pem: Uint8Array): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(pem));
  } catch {
    throw new SettingError(setting, 'must be a PEM certificate');
  }
}

export function parsePrivateKey(setting: string, pem: Uint8Array): KeyObject {
  try {
    return createPrivateKey(Buffer.from(pem));
  } catch {
    throw new SettingError(setting, 'must be a PEM private key');
  }
}

/** A certificate and the private key that belongs to it. */
export function checkKeyPair(cert: { setting: string; pem: Uint8Array }, key: { setting: string; pem: Uint8Array }): void {
  if (!parseCertificate(cert.setting, cert.pem).checkPrivateKey(parsePrivateKey(key.setting, key.pem))) {
    throw new SettingError(key.setting, `is not the private key of the certificate in ${cert.setting}`);
  }
}
