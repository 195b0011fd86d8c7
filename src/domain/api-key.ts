import { hash, timingSafeEqual } from 'node:crypto';
import { base62Value, encodeBase62, randomBase62 } from './base62.js';
import { crc32 } from './crc32.js';

/**
 * API key format: `heo_` + 30 random base62 characters (about 178 bits) + 6 base62 characters of
 * CRC-32 over everything before them. The prefix lets secret scanners spot a leaked key; the
 * checksum lets a mistyped or invented key be refused without touching the store.
 */
export const KEY_PREFIX = 'heo_';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
export const KEY_LENGTH = KEY_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
/** How much of a key is kept to recognise it in listings: the prefix and 8 random characters. */
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 8;

export interface GeneratedKey {
  /** The secret, shown once at creation and never stored. */
  readonly plaintext: string;
  /** SHA-256 of the plaintext, hex: the only form the store keeps. */
  readonly hash: string;
  readonly displayPrefix: string;
}

const checksumOf = (body: string): string => encodeBase62(crc32(body), CHECKSUM_LENGTH);

export const generateApiKey = (): GeneratedKey => {
  const body = KEY_PREFIX + randomBase62(RANDOM_LENGTH);
  const plaintext = body + checksumOf(body);
  return {
    plaintext,
    hash: hashApiKey(plaintext),
    displayPrefix: plaintext.slice(0, DISPLAY_PREFIX_LENGTH),
  };
};

/**
 * Shape and checksum, no store lookup. One pass over the characters, and the checksum is read as a
 * number rather than the body's encoded: this runs for every guess under brute force.
 */
export const isWellFormedApiKey = (candidate: string): boolean => {
  if (candidate.length !== KEY_LENGTH || !candidate.startsWith(KEY_PREFIX)) return false;
  const bodyLength = KEY_LENGTH - CHECKSUM_LENGTH;
  for (let i = KEY_PREFIX.length; i < bodyLength; i++) {
    if (base62Value(candidate.charCodeAt(i)) < 0) return false;
  }
  // Six base62 digits hold up to 62^6 - 1 (about 5.7e10): exact as a double, and every CRC-32 has
  // exactly one such form, the one `checksumOf` writes.
  let checksum = 0;
  for (let i = bodyLength; i < KEY_LENGTH; i++) {
    const digit = base62Value(candidate.charCodeAt(i));
    if (digit < 0) return false;
    checksum = checksum * 62 + digit;
  }
  return checksum === crc32(candidate, bodyLength);
};

/** One-shot hashing: no Hash object per request, which matters on the 401 path under attack. */
export const hashApiKey = (plaintext: string): string => hash('sha256', plaintext, 'hex');

/** A stored digest as bytes, decoded once when a key is cached. */
export const digestBytes = (hex: string): Buffer => Buffer.from(hex, 'hex');

/** Constant-time comparison of a hex digest with a stored digest's bytes. */
export const digestMatches = (hex: string, stored: Buffer): boolean => {
  const presented = Buffer.from(hex, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
};

/**
 * The token of an `Authorization: Bearer <token>` header, or `null` when the header is missing or
 * uses another scheme. The scheme name is case-insensitive (RFC 9110 section 11.1).
 */
export const bearerToken = (header: string | undefined): string | null => {
  if (header === undefined || header.length < 8) return null;
  const space = header.indexOf(' ');
  if (space !== 6 || header.slice(0, 6).toLowerCase() !== 'bearer') return null;
  const token = header.slice(7).trim();
  return token.length > 0 && !token.includes(' ') ? token : null;
};
