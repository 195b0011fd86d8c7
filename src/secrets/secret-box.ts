import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretKey } from './secret-key.js';
import { SecretError } from './secret-error.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

/** Where the key comes from; asked only when a credential is sealed or opened. */
export interface SecretKeySource {
  /** The key to seal new credentials with; may create it (the embedded default's key file). */
  forSealing(): SecretKey;
  /** The key to open stored credentials with; never creates one. */
  forOpening(): SecretKey;
}

/** Seals and opens provider credentials; what the machine service and the adapters depend on. */
export interface SecretSealer {
  seal(owner: string, plaintext: string): string;
  open(owner: string, sealed: string): string;
}

const b64 = (bytes: Buffer): string => bytes.toString('base64url');

/** The owner (the provider name) is authenticated data: a sealed credential cannot be moved. */
const aadOf = (owner: string): Buffer => Buffer.from(`heo-power provider credential:${owner}`);

/**
 * AES-256-GCM with a fresh 96-bit IV per credential. The sealed form is
 * `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts): the key id tells which key sealed it.
 */
export class SecretBox implements SecretSealer {
  readonly #keys: SecretKeySource;

  constructor(keys: SecretKeySource) {
    this.#keys = keys;
  }

  seal(owner: string, plaintext: string): string {
    const key = this.#keys.forSealing();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key.bytes(), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadOf(owner));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, key.id, b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join('.');
  }

  open(owner: string, sealed: string): string {
    const [version, keyId, iv, tag, ciphertext, ...rest] = sealed.split('.');
    if (
      version !== VERSION ||
      keyId === undefined ||
      iv === undefined ||
      tag === undefined ||
      ciphertext === undefined ||
      rest.length > 0
    ) {
      throw new SecretError(
        `the stored credential of provider "${owner}" is not in a known format`,
      );
    }
    const key = this.#keys.forOpening();
    if (key.id !== keyId) {
      throw new SecretError(
        `the credential of provider "${owner}" was sealed with secret key ${keyId}, but the current key is ${key.id}: restore that key (HEO_SECRET_KEY or the key file) or register the provider again`,
      );
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key.bytes(), Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aadOf(owner));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plaintext = Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]);
      return plaintext.toString('utf8');
    } catch {
      throw new SecretError(
        `the credential of provider "${owner}" cannot be opened: it was altered, or sealed for another provider`,
      );
    }
  }
}
