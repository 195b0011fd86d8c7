import { hash } from 'node:crypto';
import { randomBase62 } from './base62.js';

/**
 * Admin token format: `heoadm_` + 40 random base62 characters (about 238 bits). The prefix differs
 * from customer keys (`heo_`), so a secret scanner, a log reader and the two authenticators tell
 * them apart, and a customer key is never mistaken for an admin token or the other way round.
 */
export const ADMIN_TOKEN_PREFIX = 'heoadm_';
const RANDOM_LENGTH = 40;
const TOKEN_SHAPE = /^heoadm_[0-9A-Za-z]{40}$/;
/** How much of a token listings show to recognise it: the prefix and 6 random characters. */
const DISPLAY_PREFIX_LENGTH = ADMIN_TOKEN_PREFIX.length + 6;

export interface GeneratedAdminToken {
  /** Shown once at creation, never stored. */
  readonly plaintext: string;
  /** SHA-256 of the plaintext, hex: the only form the store keeps. */
  readonly hash: string;
  readonly displayPrefix: string;
}

export const hashAdminToken = (plaintext: string): string => hash('sha256', plaintext, 'hex');

export const generateAdminToken = (): GeneratedAdminToken => {
  const plaintext = ADMIN_TOKEN_PREFIX + randomBase62(RANDOM_LENGTH);
  return {
    plaintext,
    hash: hashAdminToken(plaintext),
    displayPrefix: plaintext.slice(0, DISPLAY_PREFIX_LENGTH),
  };
};

/** Shape only, no store lookup: anything else is refused before a digest is computed. */
export const isWellFormedAdminToken = (candidate: string): boolean => TOKEN_SHAPE.test(candidate);

export const newAdminTokenId = (): string => `adm_${randomBase62(16)}`;
