import type { HttpReply } from './provider-http.js';

/** A back-end that asks for more than this is not waited for longer: a poller checks again. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

const headerOf = (reply: HttpReply, name: string): string | undefined => {
  const value = reply.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim();
};

/**
 * How long a 429 (or 503) asks the caller to wait, in milliseconds: `Retry-After` as seconds or as
 * an HTTP date, else Laravel's `X-RateLimit-Reset` (a Unix time in seconds). `undefined` when the
 * answer says nothing usable. Bounded to an hour.
 */
export const retryAfterMsOf = (reply: HttpReply, now: number = Date.now()): number | undefined => {
  const bound = (ms: number) => Math.min(Math.max(0, Math.ceil(ms)), MAX_RETRY_AFTER_MS);
  const retryAfter = headerOf(reply, 'retry-after');
  if (retryAfter !== undefined && retryAfter !== '') {
    if (/^\d+$/.test(retryAfter)) return bound(Number(retryAfter) * 1_000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return bound(date - now);
  }
  const reset = headerOf(reply, 'x-ratelimit-reset');
  if (reset !== undefined && /^\d+$/.test(reset)) return bound(Number(reset) * 1_000 - now);
  return undefined;
};
