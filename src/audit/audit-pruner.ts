import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../logger.js';
import type { AuditStore } from '../store/store.js';

/** Records removed per transaction: short enough never to hold up the audit writes beside it. */
export const PRUNE_BATCH_ROWS = 1_000;

const DAY_MS = 86_400_000;

export interface PruneOutcome {
  readonly deleted: number;
  /** `false` when another instance was pruning: this run stopped at once and left it to that one. */
  readonly acquired: boolean;
}

/**
 * Removes the audit records older than `before`, batch after batch, with a pause between
 * batches, until none is left, `signal` aborts, or another instance turns out to be pruning.
 */
export const pruneAuditLog = async (
  audit: AuditStore,
  before: number,
  options: {
    readonly batchRows?: number;
    readonly pauseMs?: number;
    readonly signal?: AbortSignal;
  } = {},
): Promise<PruneOutcome> => {
  const batchRows = options.batchRows ?? PRUNE_BATCH_ROWS;
  let deleted = 0;
  for (;;) {
    if (options.signal?.aborted === true) return { deleted, acquired: true };
    const batch = await audit.prune(before, batchRows);
    if (!batch.acquired) return { deleted, acquired: false };
    deleted += batch.deleted;
    if (batch.deleted < batchRows) return { deleted, acquired: true };
    if ((options.pauseMs ?? 0) > 0) {
      await sleep(options.pauseMs, undefined, { ref: false }).catch(() => undefined);
    }
  }
};

export interface AuditPrunerOptions {
  readonly audit: AuditStore;
  readonly retentionDays: number;
  readonly logger: Log;
  /** Wall-clock time in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
  /** Between runs; the first run starts `firstRunMs` after `start`. */
  readonly intervalMs?: number;
  readonly firstRunMs?: number;
  /** Between batches of one run, so that pruning leaves the store to the requests. */
  readonly pauseMs?: number;
}

/**
 * `HEO_AUDIT_RETENTION_DAYS` at work: every interval, the records older than the retention are
 * pruned in small batches. On PostgreSQL each batch takes a lock only one instance can hold, so
 * with many instances one prunes while the others find the lock taken and wait for their next
 * interval. A failed run is logged and tried again at the next interval.
 */
export class AuditPruner {
  readonly #options: AuditPrunerOptions;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: AuditPrunerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#schedule(this.#options.firstRunMs ?? 60_000);
  }

  /** One run now: what it removed, or `null` when it failed (logged). */
  async runOnce(): Promise<PruneOutcome | null> {
    const { audit, retentionDays, logger } = this.#options;
    const before = this.#now() - retentionDays * DAY_MS;
    try {
      const outcome = await pruneAuditLog(audit, before, {
        pauseMs: this.#options.pauseMs ?? 100,
        signal: this.#stop.signal,
      });
      if (outcome.deleted > 0) {
        logger.info(
          { deleted: outcome.deleted, before: new Date(before).toISOString() },
          'audit records past their retention were pruned',
        );
      }
      return outcome;
    } catch (error) {
      logger.warn({ err: error }, 'could not prune the audit log; trying again later');
      return null;
    }
  }

  /** Stops the schedule and waits for a batch under way. */
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
        this.#schedule(this.#options.intervalMs ?? 3_600_000);
      });
    }, delayMs);
    this.#timer.unref();
  }
}
