import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  digestBytes,
  digestMatches,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  KEY_LENGTH,
} from '../../src/domain/api-key.js';
import { BASE62_ALPHABET } from '../../src/domain/base62.js';
import { crc32 } from '../../src/domain/crc32.js';

describe('API key format', () => {
  it('is heo_ + 30 random base62 characters + a 6-character checksum', () => {
    const { plaintext, hash, displayPrefix } = generateApiKey();
    expect(plaintext).toMatch(/^heo_[0-9A-Za-z]{36}$/);
    expect(plaintext).toHaveLength(KEY_LENGTH);
    expect(isWellFormedApiKey(plaintext)).toBe(true);
    expect(hash).toBe(hashApiKey(plaintext));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(displayPrefix).toBe(plaintext.slice(0, 12));
  });

  it('carries at least 128 bits of randomness: no repeats, every character in use', () => {
    const keys = Array.from({ length: 2_000 }, () => generateApiKey().plaintext);
    expect(new Set(keys).size).toBe(keys.length);
    const seen = new Set<string>();
    for (const k of keys) for (const character of k.slice(4, 34)) seen.add(character);
    expect(seen.size).toBe(BASE62_ALPHABET.length);
    // 30 characters of a 62-letter alphabet: log2(62) * 30 ≈ 178 bits.
    expect(Math.log2(62) * 30).toBeGreaterThan(128);
  });

  it('detects every single-character typo through the checksum', () => {
    const { plaintext } = generateApiKey();
    for (let i = 4; i < plaintext.length; i++) {
      const replacement = plaintext[i] === 'A' ? 'B' : 'A';
      const typo = plaintext.slice(0, i) + replacement + plaintext.slice(i + 1);
      expect(isWellFormedApiKey(typo)).toBe(false);
    }
  });

  it('refuses other shapes', () => {
    const { plaintext } = generateApiKey();
    for (const candidate of [
      '',
      'heo_',
      plaintext.slice(0, -1),
      `${plaintext}0`,
      plaintext.replace('heo_', 'hea_'),
      ` ${plaintext}`,
    ]) {
      expect(isWellFormedApiKey(candidate)).toBe(false);
    }
  });

  it('uses the standard CRC-32', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('')).toBe(0);
  });

  it('compares digests in constant time, and only digests of equal length', () => {
    const a = hashApiKey('a');
    expect(digestMatches(hashApiKey('a'), digestBytes(a))).toBe(true);
    expect(digestMatches(hashApiKey('b'), digestBytes(a))).toBe(false);
    expect(digestMatches(a.slice(0, 10), digestBytes(a))).toBe(false);
  });
});

describe('Authorization header parsing', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
  ])('%j gives the token', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic abc',
    'Bearerabc',
    'Token abc',
    'Bearer a b',
    'abc',
  ])('%j gives no token', (header) => {
    expect(bearerToken(header)).toBeNull();
  });
});
