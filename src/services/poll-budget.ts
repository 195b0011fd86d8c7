import type { RateLimiter } from '../ratelimit/rate-limiter.js';

/** A call the budget let through; `release` when it has answered. */
export interface PollSlot {
  readonly granted: true;
  release(): void;
}

/** No call now: try again at `retryAt` (epoch milliseconds). */
export interface PollDenied {
  readonly granted: false;
  readonly retryAt: number;
}

export interface PollBudgetOptions {
  /** Calls per provider per minute; shared by every instance when it counts in Redis. */
  readonly perMinute: RateLimiter;
  /** Calls per provider this instance has in flight at most. */
  readonly concurrency: number;
  readonly now?: () => number;
}

/** How soon a call refused only for want of a free slot is tried again. */
const BUSY_RETRY_MS = 250;

/**
 * How hard the follower may poll each back-end: so many calls in flight per instance, so many per
 * minute in all (counted where the rate limits are: Redis when there is one), and none while the
 * back-end has asked to wait (`Retry-After` of a 429). A thousand actions to follow wait their turn
 * rather than flood a panel.
 */
export class PollBudget {
  readonly #options: PollBudgetOptions;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, number>();
  readonly #pausedUntil = new Map<string, number>();

  constructor(options: PollBudgetOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** A slot for one call to `provider`, or when to ask again. */
  async acquire(provider: string): Promise<PollSlot | PollDenied> {
    const now = this.#now();
    const paused = this.#pausedUntil.get(provider);
    if (paused !== undefined) {
      if (paused > now) return { granted: false, retryAt: paused };
      this.#pausedUntil.delete(provider);
    }
    const inFlight = this.#inFlight.get(provider) ?? 0;
    if (inFlight >= this.#options.concurrency)
      return { granted: false, retryAt: now + BUSY_RETRY_MS };
    this.#inFlight.set(provider, inFlight + 1);
    let decision;
    try {
      decision = await this.#options.perMinute.consume(provider);
    } catch (error) {
      this.#release(provider);
      throw error;
    }
    if (!decision.allowed) {
      this.#release(provider);
      return { granted: false, retryAt: this.#now() + decision.resetSeconds * 1000 };
    }
    let released = false;
    return {
      granted: true,
      release: () => {
        if (released) return;
        released = true;
        this.#release(provider);
      },
    };
  }

  /** The back-end asked to wait `ms` (a 429's `Retry-After`): no call to it before then. */
  pause(provider: string, ms: number): void {
    const until = this.#now() + ms;
    if ((this.#pausedUntil.get(provider) ?? 0) < until) this.#pausedUntil.set(provider, until);
  }

  #release(provider: string): void {
    const left = (this.#inFlight.get(provider) ?? 1) - 1;
    if (left <= 0) this.#inFlight.delete(provider);
    else this.#inFlight.set(provider, left);
  }
}
