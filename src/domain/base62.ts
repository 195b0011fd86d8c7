import { randomBytes } from 'node:crypto';

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The value of each ASCII character in base62, or -1 for a character outside the alphabet. */
const VALUES = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE62_ALPHABET.length; i++) values[BASE62_ALPHABET.charCodeAt(i)] = i;
  return values;
})();

/** The value of the base62 character with this UTF-16 code, or -1 when it is not one. */
export const base62Value = (code: number): number => (code < 128 ? (VALUES[code] as number) : -1);

/** `length` base62 characters drawn uniformly from a CSPRNG (rejection sampling, no modulo bias). */
export const randomBase62 = (length: number): string => {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: bytes at or above it would bias the first characters of the alphabet.
      if (byte < 248) out += BASE62_ALPHABET.charAt(byte % 62);
      if (out.length === length) break;
    }
  }
  return out;
};

/** A non-negative integer as exactly `width` base62 characters, left-padded with `0`. */
export const encodeBase62 = (value: number, width: number): string => {
  let out = '';
  let rest = value;
  while (rest > 0) {
    out = BASE62_ALPHABET.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
};
