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
import { BASE62_ALPHABET, encodeBase62 } from '../../src/domain/base62.js';
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

  it('refuses characters outside base62 anywhere after the prefix, the checksum included', () => {
    const { plaintext } = generateApiKey();
    for (const position of [4, 20, 33, 34, 39]) {
      for (const stranger of ['_', '-', '/', ' ', 'é', 'İ', '\u0000', '\u{1F511}'.slice(0, 1)]) {
        const candidate = plaintext.slice(0, position) + stranger + plaintext.slice(position + 1);
        expect(isWellFormedApiKey(candidate)).toBe(false);
        if (position < 34) {
          // Even with the checksum that matches the altered body.
          const body = candidate.slice(0, 34);
          expect(isWellFormedApiKey(body + encodeBase62(crc32(body), 6))).toBe(false);
        }
      }
    }
  });

  it('accepts exactly the keys whose last 6 characters are the base62 CRC-32 of the rest', () => {
    // The check reads the checksum as a number; this is the definition it must agree with.
    const byDefinition = (candidate: string): boolean =>
      /^heo_[0-9A-Za-z]{36}$/.test(candidate) &&
      candidate.slice(34) === encodeBase62(crc32(candidate.slice(0, 34)), 6);
    const { plaintext } = generateApiKey();
    const body = plaintext.slice(0, 34);
    const checksums = [
      plaintext.slice(34),
      '000000',
      'zzzzzz', // 62^6 - 1, above any CRC-32
      '4gfFC3', // 2^32 - 1 and 2^32 in base62: the edge of the CRC-32 range
      '4gfFC4',
      ...Array.from({ length: 200 }, (_, i) =>
        encodeBase62((i * 2_654_435_761) % 4_294_967_296, 6),
      ),
    ];
    for (const checksum of checksums) {
      expect(isWellFormedApiKey(body + checksum)).toBe(byDefinition(body + checksum));
    }
    const known = `heo_${'0'.repeat(30)}`;
    expect(isWellFormedApiKey(known + encodeBase62(crc32(known), 6))).toBe(true);
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
