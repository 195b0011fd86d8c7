import type { MaybePromise } from '../lib/maybe-async.js';

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets (at least 1). */
  readonly resetSeconds: number;
}

/**
 * Counts requests per subject (an API key id) in a fixed window that opens at the subject's first
 * request. Implementations: in process memory, and shared through Redis.
 */
export interface RateLimiter {
  /** May answer synchronously (in memory) or with a promise (a shared store). */
  consume(subject: string): MaybePromise<RateLimitDecision>;
  close(): Promise<void>;
}

export interface RateLimitPolicy {
  readonly limit: number;
  readonly windowMs: number;
}
