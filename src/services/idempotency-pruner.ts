import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../logger.js';
import type { IdempotencyStore } from '../store/store.js';

/** Keys removed per statement: a short transaction beside the requests. */
export const KEY_PRUNE_BATCH = 1_000;

/** Most batches of one run; what is left waits for the next run. */
const MAX_BATCHES_PER_RUN = 100;

export interface IdempotencyPrunerOptions {
  readonly store: IdempotencyStore;
  readonly logger: Log;
  /** Wall-clock time in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
  readonly intervalMs?: number;
  readonly firstRunMs?: number;
  readonly pauseMs?: number;
  readonly batchRows?: number;
}

/**
 * Removes `Idempotency-Key`s whose window has passed, in bounded batches with a pause between
 * them. Expired keys already count no more when a request meets them (it claims them afresh);
 * this only keeps the table small. Every instance may prune: a batch deletes what it finds, and
 * two instances deleting the same expired rows do no harm.
 */
export class IdempotencyPruner {
  readonly #options: IdempotencyPrunerOptions;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: IdempotencyPrunerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#schedule(this.#options.firstRunMs ?? 60_000);
  }

  /** One run now: how many keys it removed, or `null` when it failed (logged). */
  async runOnce(): Promise<number | null> {
    const { store, logger } = this.#options;
    const batchRows = this.#options.batchRows ?? KEY_PRUNE_BATCH;
    const before = this.#now();
    let deleted = 0;
    try {
      for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
        if (this.#stop.signal.aborted) break;
        const removed = await store.prune(before, batchRows);
        deleted += removed;
        if (removed < batchRows) break;
        await sleep(this.#options.pauseMs ?? 100, undefined, { ref: false }).catch(() => undefined);
      }
      if (deleted > 0) logger.debug({ deleted }, 'expired idempotency keys were pruned');
      return deleted;
    } catch (error) {
      logger.warn({ err: error }, 'could not prune expired idempotency keys; trying again later');
      return null;
    }
  }

  async close(): Promise<void> {
    this.#stop.abort();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stop.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#running = this.runOnce().then(() => {
        this.#running = null;
        this.#schedule(this.#options.intervalMs ?? 600_000);
      });
    }, delayMs);
    this.#timer.unref();
  }
}
