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
  consume(subject: string): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

export interface RateLimitPolicy {
  readonly limit: number;
  readonly windowMs: number;
}
