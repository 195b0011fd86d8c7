import { budgetSubject } from '../lib/address-list.js';
import { BoundedCache } from '../lib/bounded-cache.js';
import type { MaybePromise } from '../lib/maybe-async.js';
import type { Log } from '../logger.js';
import type { RateLimitDecision, RateLimiter } from '../ratelimit/rate-limiter.js';

/** Most addresses remembered as blocked, or counted for the summary line, per instance. */
const MAX_ADDRESSES = 10_000;

export interface FailureBudgetOptions {
  /**
   * Counts failed authentications per client address, in one-minute windows: in this process,
   * or shared by every instance through Redis.
   */
  readonly counter: RateLimiter;
  readonly log: Log;
  /** How often the failures of the last interval are logged, one line per address. */
  readonly summaryIntervalMs: number;
  readonly now?: () => number;
  /** What the summary lines call the failures; default `authentication failures`. */
  readonly label?: string;
}

/**
 * A budget of failed authentications per client address (an IPv6 address counts with its /64
 * network, `budgetSubject`). An address that used it up is refused
 * (429) before its key is looked at, until its window passes; every instance that sees one of its
 * failures over the budget refuses it, so across N instances it gets at most N failures more.
 *
 * Failures are not logged one by one (a brute force would fill the disk): each interval, one line
 * per address says how many there were.
 */
export class FailureBudget {
  readonly #counter: RateLimiter;
  readonly #log: Log;
  readonly #now: () => number;
  readonly #label: string;
  /** Address → when its refusal ends (ms). */
  readonly #blocked = new BoundedCache<string, number>(MAX_ADDRESSES);
  /** When the last refusal ends: past it, no address is refused and none need be looked up. */
  #blockedUntil = 0;
  /** Failures (and refusals) per address since the last summary. */
  #counts = new Map<string, { failed: number; refused: number }>();
  #dropped = 0;
  readonly #summary: NodeJS.Timeout;

  constructor(options: FailureBudgetOptions) {
    this.#counter = options.counter;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#label = options.label ?? 'authentication failures';
    this.#summary = setInterval(() => this.summarise(), options.summaryIntervalMs);
    this.#summary.unref();
  }

  /** Whether any address may be refused: when not, the hot path asks for no address at all. */
  get active(): boolean {
    // No clock read at all until some address was refused.
    return this.#blockedUntil !== 0 && this.#blockedUntil > this.#now();
  }

  /** Seconds until `address` may try again, or 0 when it may now. */
  refusalSeconds(address: string | undefined): number {
    if (address === undefined) return 0;
    const subject = budgetSubject(address);
    const until = this.#blocked.get(subject);
    if (until === undefined) return 0;
    const left = until - this.#now();
    if (left <= 0) return 0;
    this.#note(subject, 'refused');
    return Math.max(1, Math.ceil(left / 1000));
  }

  /**
   * A failed authentication from `address`: counted, and the address refused once it used up its
   * budget. Settles once counted (at once in memory; one round trip when shared), so the failure
   * that uses the budget up is answered only after the refusal of the next one is in place.
   */
  failed(address: string | undefined): MaybePromise<void> {
    if (address === undefined) return;
    const subject = budgetSubject(address);
    this.#note(subject, 'failed');
    const decision = this.#counter.consume(subject);
    if (!(decision instanceof Promise)) {
      this.#decided(subject, decision);
      return;
    }
    return decision.then(
      (d) => this.#decided(subject, d),
      // The shared counter falls back on its own; a failure here only leaves this one uncounted.
      () => undefined,
    );
  }

  #decided(address: string, decision: RateLimitDecision): void {
    if (decision.allowed && decision.remaining > 0) return;
    const until = this.#now() + decision.resetSeconds * 1000;
    this.#blocked.set(address, until);
    this.#blockedUntil = Math.max(this.#blockedUntil, until);
  }

  #note(address: string, kind: 'failed' | 'refused'): void {
    let counts = this.#counts.get(address);
    if (counts === undefined) {
      if (this.#counts.size >= MAX_ADDRESSES) {
        this.#dropped += 1;
        return;
      }
      counts = { failed: 0, refused: 0 };
      this.#counts.set(address, counts);
    }
    counts[kind] += 1;
  }

  /** Logs one line per address seen since the last summary (at `warn` when it was refused). */
  summarise(): void {
    const counts = this.#counts;
    const dropped = this.#dropped;
    this.#counts = new Map();
    this.#dropped = 0;
    for (const [address, { failed, refused }] of counts) {
      const line = { clientIp: address, failed, refused };
      if (refused > 0) this.#log.warn(line, `${this.#label}: address refused`);
      else this.#log.info(line, this.#label);
    }
    if (dropped > 0) {
      this.#log.warn({ addresses: dropped }, `${this.#label} from more addresses`);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#summary);
    this.summarise();
    await this.#counter.close();
  }
}
