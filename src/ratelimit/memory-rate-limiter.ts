import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from './rate-limiter.js';

interface Window {
  count: number;
  resetAt: number;
}

/** The embedded default: windows in a Map, swept of expired entries so memory stays bounded. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #policy: RateLimitPolicy;
  readonly #windows = new Map<string, Window>();
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(policy: RateLimitPolicy, now: () => number = Date.now) {
    this.#policy = policy;
    this.#now = now;
    this.#sweeper = setInterval(() => this.#sweep(), policy.windowMs);
    this.#sweeper.unref();
  }

  consume(subject: string): RateLimitDecision {
    const now = this.#now();
    const { limit, windowMs } = this.#policy;
    let window = this.#windows.get(subject);
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

  #sweep(): void {
    const now = this.#now();
    for (const [subject, window] of this.#windows) {
      if (window.resetAt <= now) this.#windows.delete(subject);
    }
  }
}
