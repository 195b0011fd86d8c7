import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import { StoreBusyError } from '../store/errors.js';
import type { AuditEntry, AuditStore } from '../store/store.js';

/** Entries committed together, and the one promise all their requests wait on. */
interface Batch {
  readonly entries: AuditEntry[];
  readonly committed: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const MAX_BATCH = 1_000;

const newBatch = (): Batch => {
  let resolve: () => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const committed = new Promise<void>((done, fail) => {
    resolve = done;
    reject = fail;
  });
  // Every request of the batch awaits this promise and sees a failure; this marks it handled so
  // that a batch nobody awaits any more cannot turn into an unhandled rejection.
  committed.catch(() => undefined);
  return { entries: [], committed, resolve, reject };
};

/**
 * Group commit for the audit log. `record` resolves once the entry is committed. The entries
 * recorded during one turn of the event loop form one batch, written in one transaction when the
 * turn ends; entries that arrive while a batch is being written form the next. A batch shares one
 * promise among all its requests.
 */
export class AuditWriter {
  readonly #store: AuditStore;
  readonly #logger: Logger;
  readonly #busyPatienceMs: number;
  /** Batches waiting to be written, oldest first; the last one is still open. */
  readonly #waiting: Batch[] = [];
  /** The running drain, `null` when idle; it ends in the same turn that finds nothing waiting. */
  #draining: Promise<void> | null = null;

  /** `busyPatienceMs`: how long a batch waits for a busy database before its requests fail. */
  constructor(store: AuditStore, logger: Logger, busyPatienceMs = 5_000) {
    this.#store = store;
    this.#logger = logger;
    this.#busyPatienceMs = busyPatienceMs;
  }

  record(entry: AuditEntry): Promise<void> {
    let open = this.#waiting.at(-1);
    if (open === undefined || open.entries.length >= MAX_BATCH) {
      open = newBatch();
      this.#waiting.push(open);
    }
    open.entries.push(entry);
    this.#draining ??= this.#drain();
    return open.committed;
  }

  /** Resolves when everything recorded so far is committed (or has failed). */
  async flush(): Promise<void> {
    while (this.#draining !== null) await this.#draining;
  }

  /**
   * A busy database (another connection holds the write lock: a CLI change, a WAL restart) is
   * waited for here, a few milliseconds at a time, instead of inside the driver, where the wait
   * would stop the event loop and with it every other request.
   */
  async #append(entries: readonly AuditEntry[]): Promise<void> {
    for (let wait = 1, waited = 0; ; waited += wait, wait = Math.min(wait * 2, 50)) {
      try {
        await this.#store.append(entries);
        return;
      } catch (error) {
        if (!(error instanceof StoreBusyError) || waited >= this.#busyPatienceMs) throw error;
      }
      await sleep(wait);
    }
  }

  async #drain(): Promise<void> {
    // Let every request of this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      for (let batch = this.#waiting.shift(); batch !== undefined; batch = this.#waiting.shift()) {
        try {
          await this.#append(batch.entries);
          batch.resolve();
        } catch (error) {
          this.#logger.error({ err: error, entries: batch.entries.length }, 'audit write failed');
          batch.reject(error);
        }
      }
    } finally {
      this.#draining = null;
    }
  }
}
