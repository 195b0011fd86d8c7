import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from './rate-limiter.js';

interface Window {
  count: number;
  resetAt: number;
}

/** Most subjects counted at once by default: far above the keys or addresses of a minute. */
export const MAX_SUBJECTS = 100_000;

/** Where new subjects are counted, together, while every place is taken. */
const OVERFLOW = '\u0000overflow';

/**
 * The embedded default: windows in a Map, swept of expired entries, and never more than
 * `maxSubjects` of them. While every place is taken by a live window (a flood of new subjects,
 * as a brute force from many addresses sends), new subjects share one window: they use up one
 * budget together and are refused together, while the subjects already counted keep theirs.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #policy: RateLimitPolicy;
  readonly #windows = new Map<string, Window>();
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #maxSubjects: number;
  #lastFullSweep = -Infinity;

  constructor(
    policy: RateLimitPolicy,
    now: () => number = Date.now,
    maxSubjects: number = MAX_SUBJECTS,
  ) {
    this.#policy = policy;
    this.#now = now;
    this.#maxSubjects = maxSubjects;
    this.#sweeper = setInterval(() => this.#sweep(), policy.windowMs);
    this.#sweeper.unref();
  }

  consume(subject: string): RateLimitDecision {
    const now = this.#now();
    const { limit, windowMs } = this.#policy;
    let window = this.#windows.get(subject);
    if (window === undefined && this.#windows.size >= this.#maxSubjects) {
      // Full: make room from expired windows, at most once a second; else share the overflow.
      if (now - this.#lastFullSweep >= 1_000) {
        this.#lastFullSweep = now;
        this.#sweep();
      }
      if (this.#windows.size >= this.#maxSubjects) {
        window = this.#windows.get(OVERFLOW);
        if (window === undefined || window.resetAt <= now) {
          // The overflow always has its place: it takes the oldest subject's if need be.
          if (window === undefined) this.#evictOne();
          window = { count: 0, resetAt: now + windowMs };
          this.#windows.set(OVERFLOW, window);
        }
      }
    }
    if (window === undefined || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.#windows.set(subject, window);
    }
    window.count++;
    return {
      allowed: window.count <= limit,
      limit,
      remaining: Math.max(0, limit - window.count),
      resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#windows.clear();
  }

  #evictOne(): void {
    const oldest = this.#windows.keys().next();
    if (oldest.done !== true) this.#windows.delete(oldest.value);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [subject, window] of this.#windows) {
      if (window.resetAt <= now) this.#windows.delete(subject);
    }
  }
}
