import { describe, expect, it } from 'vitest';
import type { HttpReply } from '../../src/providers/http/provider-http.js';
import { MAX_RETRY_AFTER_MS, retryAfterMsOf } from '../../src/providers/http/retry-after.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const reply = (headers: HttpReply['headers']): HttpReply => ({
  status: 429,
  statusText: 'Too Many Requests',
  headers,
  body: '',
});

describe('Retry-After of a 429', () => {
  it.each<[string, HttpReply['headers'], number | undefined]>([
    ['seconds', { 'retry-after': '7' }, 7_000],
    ['zero seconds', { 'retry-after': '0' }, 0],
    ['an HTTP date', { 'retry-after': 'Sun, 01 Mar 2026 12:00:30 GMT' }, 30_000],
    ['an HTTP date already past', { 'retry-after': 'Sun, 01 Mar 2026 11:00:00 GMT' }, 0],
    [
      "Laravel's X-RateLimit-Reset alone",
      { 'x-ratelimit-reset': String(NOW / 1_000 + 42) },
      42_000,
    ],
    [
      'Retry-After before X-RateLimit-Reset',
      { 'retry-after': '5', 'x-ratelimit-reset': '1' },
      5_000,
    ],
    ['a repeated header: the first', { 'retry-after': ['3', '9'] }, 3_000],
    ['more than an hour: an hour', { 'retry-after': '86400' }, MAX_RETRY_AFTER_MS],
    ['nothing', {}, undefined],
    ['nonsense', { 'retry-after': 'soon' }, undefined],
  ])('%s', (_label, headers, expected) => {
    expect(retryAfterMsOf(reply(headers), NOW)).toBe(expected);
  });
});
