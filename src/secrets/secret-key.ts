import { createHash } from 'node:crypto';
import { inspect } from 'node:util';

/** How `HEO_SECRET_KEY` (and the generated key file) must look. */
export const SECRET_KEY_RULE = '32 random bytes, as 64 hex characters or as base64 (44 characters)';

const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]{43}=$|^[A-Za-z0-9_-]{43}=?$/;

/**
 * The key that seals provider credentials (AES-256). It never shows itself: not in logs, not in
 * JSON, not in `console.log`; only its short fingerprint (`id`) may be printed.
 */
export class SecretKey {
  readonly #bytes: Buffer;
  /** First 8 hex characters of the key's SHA-256: tells keys apart without revealing them. */
  readonly id: string;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
    this.id = createHash('sha256').update(bytes).digest('hex').slice(0, 8);
  }

  /** `null` when `text` is not a key in one of the accepted encodings. */
  static parse(text: string): SecretKey | null {
    const value = text.trim();
    if (HEX.test(value)) return new SecretKey(Buffer.from(value, 'hex'));
    if (BASE64.test(value)) {
      const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      if (bytes.length === 32) return new SecretKey(bytes);
    }
    return null;
  }

  static fromBytes(bytes: Buffer): SecretKey {
    if (bytes.length !== 32) throw new Error('a secret key is 32 bytes');
    return new SecretKey(Buffer.from(bytes));
  }

  /** The raw key, for the cipher only. */
  bytes(): Buffer {
    return this.#bytes;
  }

  /** The key in the form written to a key file. */
  encode(): string {
    return this.#bytes.toString('base64');
  }

  toJSON(): string {
    return `[secret key ${this.id}]`;
  }

  toString(): string {
    return this.toJSON();
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}
